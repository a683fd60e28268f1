"""`casewatch report --month YYYY-MM [--unit U] --out DIR`: the monthly white paper.

Reads ClickHouse as the read-only user (sinks/clickhouse/reader.py), scores with rules/scoring.toml
(or --scoring FILE), writes white-paper-YYYY-MM[-UNIT].html and .pdf into DIR and prints
their paths. Exit 0 on success, 2 for bad arguments (month, scoring file), 3 when there is
nothing to report (empty month, unknown unit), 4 when ClickHouse cannot be read.
"""

import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from report.month import Month, MonthError
from report.paper import NoData, build_paper
from rules.scoring import SCORING_FILE, ScoringError, load_scoring
from sinks.clickhouse.reader import reader_settings

EXIT_OK, EXIT_BAD_ARGS, EXIT_NO_DATA, EXIT_UNAVAILABLE = 0, 2, 3, 4


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="执法质量白皮书 the monthly quality white paper (HTML and PDF)"
    )
    p.add_argument("--month", required=True, help="YYYY-MM, a month that is over (China time)")
    p.add_argument("--unit", help="only this unit's section, for pushing to the unit")
    p.add_argument("--out", required=True, type=Path, help="directory for the HTML and PDF")
    p.add_argument("--scoring", type=Path, default=SCORING_FILE, help="scoring model (TOML)")
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


def run(args) -> int:
    now = datetime.now(UTC)
    try:
        month = Month.parse(args.month)
    except MonthError as exc:
        return _fail(EXIT_BAD_ARGS, str(exc))
    if not month.is_over(now):
        return _fail(EXIT_BAD_ARGS, f"{month.label_zh}尚未结束 / month {month} is not over yet")
    if args.unit is not None and not args.unit.strip():
        return _fail(EXIT_BAD_ARGS, "--unit 不能为空 / --unit must not be empty")
    try:
        model = load_scoring(args.scoring)
    except (ScoringError, OSError) as exc:
        return _fail(EXIT_BAD_ARGS, f"评分规则无效 / scoring model invalid: {exc}")

    from clickhouse_driver.errors import Error as DriverError

    from report.render import write_report
    from sinks.clickhouse.client import ClickHouse

    # the driver logs each failed connection attempt with its traceback; the reason is
    # reported below, once
    logging.getLogger("clickhouse_driver").addHandler(logging.NullHandler())
    logging.getLogger("clickhouse_driver").propagate = False
    settings = reader_settings()
    ch = ClickHouse(settings)
    try:
        paper = build_paper(ch.execute, settings.database, month, model, now=now, unit=args.unit)
    except NoData as exc:
        return _fail(EXIT_NO_DATA, str(exc))
    except (DriverError, OSError, EOFError) as exc:
        return _fail(
            EXIT_UNAVAILABLE,
            f"无法读取 ClickHouse / cannot read ClickHouse ({ch!r}): {_reason(exc)}",
        )
    finally:
        ch.client.disconnect()
    written = write_report(paper, model, args.out, _units())
    print(written.html)
    print(written.pdf)
    return EXIT_OK


def _units():
    """The unit registry (CASEWATCH_UNITS_FILE) for the units' names; without a readable
    one the paper shows ids, marked unregistered."""
    from schemas.units import UnitRegistry, UnitsError, units_file

    try:
        return UnitRegistry.load(units_file())
    except UnitsError as exc:
        print(f"单位名录不可用，以编号显示 / unit registry unavailable, ids shown: {exc}",
              file=sys.stderr)
        return UnitRegistry()
