"""Entry point of the `casewatch` command."""

import argparse
import logging
import sys

from cli import (
    console,
    demo_feed,
    doctor,
    evaluate,
    generate,
    notify,
    problems,
    publish,
    report,
    rules,
    schema_export,
    sink,
    web,
    whatif,
    worker,
)
from streams.log_format import configure_logging, log_format_from_env


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casewatch", description="执法监督时限预警 casewatch")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (evaluate, generate, publish, schema_export, worker, sink, demo_feed, console,
                   doctor, report, web, notify, problems, whatif, rules):
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    from streams.kafka_auth import KafkaSecurityError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    try:
        log_format = log_format_from_env()
    except ValueError as exc:
        print(f"casewatch: {exc}", file=sys.stderr)
        return 2
    if args.command != "worker":  # the worker sets up its own logging (Faust)
        configure_logging(log_format, "WARNING")
        for handler in logging.getLogger().handlers:  # Kafka clients' own lines stay off the
            handler.addFilter(_not_kafka)  # terminal: cli/kafka_access explains failures
    try:
        return args.func(args)
    except (ValidationError, KafkaSecurityError) as exc:
        if isinstance(exc, ValidationError) and exc.title != "Settings":
            raise  # not the CASEWATCH_* settings (streams/settings.py, sinks/clickhouse.py)
        print(f"casewatch {args.command}: 配置错误 invalid settings: {settings_problem(exc)}",
              file=sys.stderr)
        return 2


def _not_kafka(record: logging.LogRecord) -> bool:
    return not record.name.startswith(("kafka", "aiokafka"))


def settings_problem(exc: Exception) -> str:
    """One line per wrong setting, without pydantic's links (secrets are never inputs here:
    a SecretStr accepts any text)."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    return "; ".join(f"{'.'.join(map(str, e['loc']))}={e['input']!r}: {e['msg']}"
                     for e in exc.errors())


if __name__ == "__main__":
    sys.exit(main())
