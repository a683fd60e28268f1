"""`casewatch problems import FILE.xlsx|csv [--dry-run]`: the spreadsheets inspectors keep,
checked row by row and published to `<prefix>problems` (key = problem_id).

Every row is checked as the topic's intake checks it (cli/problem_sheet.py); a bad row is
reported on standard error (`第 N 行 / row N: reason`) and not sent, the valid rows are
sent. `--dry-run` checks and reports without sending anything. Exit 0 when every row was
valid, 3 when some were not, 2 when the file or the arguments cannot be used (or Kafka
refuses the topic).
"""

import sys
from datetime import UTC, datetime
from pathlib import Path

from schemas.problem import ENTERED_SOURCES, FinderRole

EXIT_OK, EXIT_BAD_ARGS, EXIT_INVALID_ROWS = 0, 2, 3


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("problems", help="问题 problems found by inspections")
    sub = p.add_subparsers(dest="problems_command", required=True)
    imp = sub.add_parser("import", help="import an inspection spreadsheet (.xlsx or .csv)")
    imp.add_argument("file", type=Path, help="FILE.xlsx or FILE.csv, first row = column names")
    imp.add_argument("--dry-run", action="store_true", help="check every row, send nothing")
    imp.add_argument("--source", choices=[str(s) for s in ENTERED_SOURCES],
                     help="the source of every row, when the sheet has no 来源 column")
    imp.add_argument("--found-by", help="the finder's id, when the sheet has no 发现人 column")
    imp.add_argument("--role", default="inspector", choices=[str(r) for r in FinderRole],
                     help="the finder's role, when the sheet has no 发现人角色 column")
    imp.set_defaults(func=run_import)


def _say(message: str) -> None:
    print(f"casewatch problems import: {message}", file=sys.stderr)


def run_import(args) -> int:
    from cli.problem_sheet import Defaults, RowError, Sheet, SheetError

    try:
        sheet = Sheet(args.file, Defaults(args.source, args.found_by, args.role))
    except SheetError as exc:
        _say(str(exc))
        return EXIT_BAD_ARGS
    if sheet.ignored:
        _say("忽略的列 / columns ignored: " + ", ".join(sheet.ignored))
    send = None if args.dry_run else _sender()
    if send is not None and not callable(send):
        return send  # an exit code: Kafka refused
    valid = invalid = 0
    try:
        for _, item in sheet.rows(datetime.now(UTC)):
            if isinstance(item, RowError):
                print(str(item), file=sys.stderr)
                invalid += 1
                continue
            valid += 1
            if send is not None:
                send(item)
    except SheetError as exc:
        _say(str(exc))
        return EXIT_BAD_ARGS
    finally:
        if send is not None:
            send.close()
    done = "检查通过 checked, not sent (--dry-run)" if args.dry_run else "已发送 published"
    print(f"{valid} 行{done}; {invalid} 行有误未发送 / {valid} rows "
          f"{'valid' if args.dry_run else 'published'}, {invalid} invalid rows not sent",
          file=sys.stderr)
    return EXIT_INVALID_ROWS if invalid else EXIT_OK


class _Send:
    def __init__(self, producer, topic: str):
        self.producer, self.topic = producer, topic

    def __call__(self, problem) -> None:
        self.producer.send(self.topic, key=problem.problem_id.encode(), value=problem.to_json())

    def close(self) -> None:
        self.producer.flush()
        self.producer.close()


def _sender():
    """A callable sending one problem (flushed on close), or an exit code."""
    from kafka.errors import KafkaTimeoutError

    from cli.kafka_access import KafkaAccessError, explained
    from streams import kafka_clients
    from streams.settings import Settings

    settings = Settings.from_env()
    topic = settings.topic("problems")
    try:
        with explained(settings, settings.kafka_bootstrap, f"write topic {topic}") as access:
            producer = kafka_clients.producer(settings, acks="all", linger_ms=20,
                                              max_block_ms=10_000, bootstrap_timeout_ms=10_000)
            try:
                partitions = producer.partitions_for(topic)
            except KafkaTimeoutError:
                access.check_topics("write", [topic], set())
                raise
            if not partitions:
                access.check_topics("write", [topic], set())
    except KafkaAccessError as exc:
        _say(f"cannot publish to {topic}: {exc}")
        return EXIT_BAD_ARGS
    return _Send(producer, topic)
