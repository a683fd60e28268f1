"""Entry point of the `casewatch` command."""

import argparse
import sys

from cli import (
    console,
    demo_feed,
    doctor,
    evaluate,
    generate,
    publish,
    report,
    schema_export,
    sink,
    worker,
)
from streams.log_format import configure_logging, log_format_from_env


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casewatch", description="执法监督时限预警 casewatch")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (evaluate, generate, publish, schema_export, worker, sink, demo_feed, console,
                   doctor, report):
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
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
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
