"""`casewatch report`: the monthly white paper (执法质量白皮书) and the daily bulletin (日通报).

    casewatch report --month YYYY-MM [--unit U] --out DIR [--close] [--scoring FILE]
    casewatch report --day YYYY-MM-DD [--unit U] --out DIR [--send]

Reads ClickHouse as the read-only user (sinks/clickhouse/reader.py), scores with
rules/scoring.toml (or --scoring FILE), writes white-paper-YYYY-MM[-UNIT] or
bulletin-YYYY-MM-DD[-UNIT] .html and .pdf into DIR and prints their paths. A month closed
with --close (frozen on the topic month-closures, report/closure.py) is printed as frozen
then, with the revisions since. --send publishes the bulletin's record (headline figures and
the documents' paths, schemas/bulletin.py) to the topic bulletins, which the notifier
delivers (docs/notify.md). Arguments, DIR and, with --send, Kafka and the topic are checked
before anything is read. Exit 0 on success, 2 for bad arguments (month or day, scoring file,
DIR, Kafka settings, a month already closed), 3 when there is nothing to report (empty
month, unknown unit), 4 when ClickHouse or Kafka cannot be read or written.
"""

import logging
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from report.day import Day, DayError
from report.month import Month, MonthError
from rules.scoring import SCORING_FILE, ScoringError, load_scoring

EXIT_OK, EXIT_BAD_ARGS, EXIT_NO_DATA, EXIT_UNAVAILABLE = 0, 2, 3, 4


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="执法质量白皮书与日通报 the monthly white paper and the daily bulletin"
    )
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", help="YYYY-MM, a month that is over (China time)")
    when.add_argument("--day", help="YYYY-MM-DD: the daily bulletin of that day (China time)")
    p.add_argument("--unit", help="only this unit's section, for pushing to the unit")
    p.add_argument("--out", required=True, type=Path, help="directory for the HTML and PDF")
    p.add_argument("--scoring", type=Path, default=SCORING_FILE, help="scoring model (TOML)")
    p.add_argument("--close", action="store_true",
                   help="freeze the month's figures (and the offsets they rest on)")
    p.add_argument("--send", action="store_true",
                   help="交通知渠道推送 hand the bulletin to the notifier (topic bulletins)")
    p.set_defaults(func=run)


def _fail(code: int, message: str) -> int:
    print(f"casewatch report: {message}", file=sys.stderr)
    return code


def _reason(exc: Exception) -> str:
    """One line saying why: the server's message without its stack trace."""
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = re.split(r"\s*Stack trace:", str(text), maxsplit=1)[0]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    code = getattr(exc, "code", None)
    first = lines[0] if lines else type(exc).__name__
    return f"{first} (code {code})" if code is not None and f"{code}" not in first else first


def writable_dir_problem(path: Path) -> str | None:
    """Why `path` cannot become a directory we write into, or None if it can."""
    target = path
    while not target.exists():
        if target.parent == target:
            break
        target = target.parent
    if not target.is_dir():
        return f"{target} 不是目录 / is not a directory"
    if not os.access(target, os.W_OK | os.X_OK):
        return f"{target} 不可写 / is not writable"
    return None


def run(args) -> int:
    now = datetime.now(UTC)
    if args.unit is not None and not args.unit.strip():
        return _fail(EXIT_BAD_ARGS, "--unit 不能为空 / --unit must not be empty")
    try:
        period = Month.parse(args.month) if args.month else Day.parse(args.day)
    except (MonthError, DayError) as exc:
        return _fail(EXIT_BAD_ARGS, str(exc))
    if isinstance(period, Month) and not period.is_over(now):
        return _fail(EXIT_BAD_ARGS, f"{period.label_zh}尚未结束 / month {period} is not over yet")
    if isinstance(period, Day) and period.start > now:
        return _fail(EXIT_BAD_ARGS, f"{period.label_zh}尚未开始 / day {period} has not begun")
    if args.close and isinstance(period, Day):
        return _fail(EXIT_BAD_ARGS, "--close 只用于月份 / --close closes a --month")
    if args.send and isinstance(period, Month):
        return _fail(EXIT_BAD_ARGS, "--send 只用于日通报 / --send sends a --day bulletin")
    problem = writable_dir_problem(args.out)
    if problem:
        return _fail(EXIT_BAD_ARGS, f"--out {args.out}: {problem}")
    try:
        model = load_scoring(args.scoring)
    except (ScoringError, OSError) as exc:
        return _fail(EXIT_BAD_ARGS, f"评分规则无效 / scoring model invalid: {exc}")
    target = None
    if args.send:
        target = _send_target()
        if isinstance(target, int):
            return target
    return _produce(args, period, model, now, target)


def _send_target():
    """The Kafka settings the bulletin goes out with, its topic made sure of; or the exit
    code, the reason printed."""
    from kafka.errors import KafkaError

    from report.bulletin_send import TOPIC
    from streams.settings import Settings
    from streams.topics import ensure_topics

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        return _fail(EXIT_BAD_ARGS, f"--send: Kafka 设置无效 / invalid Kafka settings: "
                                    f"{_reason(exc)}")
    try:
        ensure_topics(settings, (TOPIC,))
    except KafkaError as exc:
        return _fail(EXIT_UNAVAILABLE, f"--send: 无法连接 Kafka / cannot reach Kafka for "
                                       f"{settings.topic(TOPIC)}: {_reason(exc)}")
    return settings


def _produce(args, period, model, now: datetime, send_to) -> int:
    from clickhouse_driver.errors import Error as DriverError
    from kafka.errors import KafkaError

    from report.paper import NoData
    from sinks.clickhouse.client import ClickHouse
    from sinks.clickhouse.reader import reader_settings

    # the driver logs each failed connection attempt with its traceback; the reason is
    # reported below, once
    logging.getLogger("clickhouse_driver").addHandler(logging.NullHandler())
    logging.getLogger("clickhouse_driver").propagate = False
    settings = reader_settings()
    ch = ClickHouse(settings)
    try:
        if isinstance(period, Day):
            built, written = _bulletin(ch, settings.database, period, now, args.unit, args.out)
        else:
            written = _paper(ch, settings.database, period, model, now, args)
    except NoData as exc:
        return _fail(EXIT_NO_DATA, str(exc))
    except _AlreadyClosed as exc:
        return _fail(EXIT_BAD_ARGS, str(exc))
    except (DriverError, OSError, EOFError) as exc:
        return _fail(
            EXIT_UNAVAILABLE,
            f"无法读取 ClickHouse / cannot read ClickHouse ({ch!r}): {_reason(exc)}",
        )
    except KafkaError as exc:
        return _fail(EXIT_UNAVAILABLE, f"无法读写月度关账记录 / cannot read or write the "
                                       f"month closures on Kafka: {_reason(exc)}")
    finally:
        ch.client.disconnect()
    print(written.html)
    print(written.pdf)
    if send_to is not None:
        from report.bulletin_send import TOPIC, bulletin_record, publish

        record = bulletin_record(built, written)
        try:
            publish(send_to, record)
        except KafkaError as exc:
            return _fail(EXIT_UNAVAILABLE, f"日通报未能推送 / bulletin not sent to "
                                           f"{send_to.topic(TOPIC)}: {_reason(exc)}")
        print(f"已推送 sent: {record.bulletin_id} → {send_to.topic(TOPIC)}", file=sys.stderr)
    return EXIT_OK


class _AlreadyClosed(ValueError):
    pass


def _units():
    """The unit registry (CASEWATCH_UNITS_FILE) for the units' names; without a readable
    one the documents show ids, marked unregistered."""
    from schemas.units import UnitRegistry, UnitsError, units_file

    try:
        return UnitRegistry.load(units_file())
    except UnitsError as exc:
        print(f"单位名录不可用，以编号显示 / unit registry unavailable, ids shown: {exc}",
              file=sys.stderr)
        return UnitRegistry()


def _bulletin(ch, db: str, day: Day, now: datetime, unit: str | None, out: Path):
    from report.bulletin import build_bulletin
    from report.render import write_bulletin

    built = build_bulletin(ch.execute, db, day, now=now, unit=unit)
    return built, write_bulletin(built, out, _units())


def _paper(ch, db: str, month: Month, model, now: datetime, args):
    from dataclasses import replace

    from report.closure import Closure, freeze, revisions
    from report.closure_store import ClosureStore
    from report.paper import build_paper, for_unit
    from report.render import write_report
    from streams.settings import Settings

    store = ClosureStore(Settings.from_env())
    closure = store.find(str(month))
    if args.close and closure is not None:
        raise _AlreadyClosed(f"{month.label_zh}已于 {closure.closed_at.isoformat()} 关账 / "
                             f"month {month} was closed already")
    if closure is None and not args.close:
        return write_report(build_paper(ch.execute, db, month, model, now=now, unit=args.unit),
                            model, args.out, _units())
    current = build_paper(ch.execute, db, month, model, now=now)  # whole: frozen or compared
    if closure is not None:
        frozen = closure.frozen_paper(now)
        paper = replace(frozen, revisions=revisions(frozen, current))
    else:
        from streams.topics import ensure_topics

        ensure_topics(store.settings)
        closed = Closure(month=str(month), closed_at=now,
                         closed_by=os.environ.get("CASEWATCH_OPERATOR", "operator"),
                         offsets=store.sink_offsets(), paper=freeze(current))
        store.save(closed)
        paper = replace(current, closed_at=now)
    if args.unit is not None:
        paper = for_unit(ch.execute, db, paper, args.unit)
    return write_report(paper, model, args.out, _units())
