"""`casewatch whatif`: the warnings a proposed rule set adds, removes, re-times or re-levels
against the installed one, over an event file or the event archive (docs/whatif.md).

Both rule sets run over the same cases, replayed from disk in bounded memory and in
several processes (cli/replay.py), each with only the rules the proposal touches
(rules/ruleset_diff.py); a case without an event those rules start from is not evaluated.
"""

import sys
import tempfile
from datetime import datetime
from pathlib import Path

from cli.evaluate import PARALLEL_MIN_BYTES, parse_instant
from cli.findings import first_line
from cli.replay import cpu_jobs, default_jobs, regular_file, replay
from cli.whatif_report import Summary, change_record, json_chunks, write_table
from rules.catalogue import CatalogueError
from rules.clock import WallClock
from rules.ruleset import RULES_DIR, load_ruleset
from rules.ruleset_diff import RuleSetDiff, changed_fields, changes, diff_rulesets, in_window
from schemas.event import Envelope
from schemas.timefmt import format_cst

EXIT_OK, EXIT_BAD_ARGS, EXIT_INVALID_LINES, EXIT_UNAVAILABLE = 0, 2, 3, 4


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "whatif", help="the warnings a proposed rule set would add, remove, re-time or re-level")
    p.add_argument("events", nargs="?", help="EVENTS.jsonl, or - for standard input")
    p.add_argument("--catalogue", type=Path, required=True, metavar="DIR",
                   help="the proposed rule set: a directory laid out like rules/")
    p.add_argument("--current", type=Path, default=RULES_DIR, metavar="DIR",
                   help="the rule set to compare with (default: the installed one)")
    p.add_argument("--from-clickhouse", action="store_true",
                   help="read the event archive in ClickHouse (read-only user) instead of a file")
    p.add_argument("--from", dest="since", metavar="INSTANT",
                   help="only warnings whose due or last change is at or after this instant")
    p.add_argument("--to", metavar="INSTANT",
                   help="evaluate as of this instant, RFC 3339 with offset (default: now)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--limit", type=int, default=200,
                   help="warnings listed in the table (0: all; JSON lists all)")
    p.add_argument("--jobs", type=int, default=0,
                   help="processes evaluating cases (default: one per CPU for large inputs)")
    p.set_defaults(func=run)


def change_records(diff: RuleSetDiff, now: datetime, since: datetime | None):
    """`work` for the replay: a case's changed warnings as records, sorted."""

    def work(case_id: str, events: list[Envelope]) -> list[tuple]:
        before, after = diff.evaluate(events, now)
        out = []
        for wid in before.keys() | after.keys():
            b, a = before.get(wid), after.get(wid)
            kinds = changes(b, a)
            if kinds and (in_window(b, since) or in_window(a, since)):
                fields = changed_fields(b, a) if b is not None and a is not None else []
                out.append(change_record(b, a, kinds, fields))
        return sorted(out)

    return work


def _fail(code: int, message: str) -> int:
    print(f"casewatch whatif: {message}", file=sys.stderr)
    return code


def run(args) -> int:
    if (args.events is None) == (not args.from_clickhouse):
        return _fail(EXIT_BAD_ARGS, "give EVENTS or --from-clickhouse (one of them)")
    try:
        now = parse_instant(args.to) if args.to else WallClock().now()
        since = parse_instant(args.since) if args.since else None
    except ValueError as exc:
        return _fail(EXIT_BAD_ARGS, str(exc).replace("--at", "--from/--to"))
    if args.jobs < 0:
        return _fail(EXIT_BAD_ARGS, "--jobs must be 0 (automatic) or more")
    rulesets = []
    for option, directory in (("--current", args.current), ("--catalogue", args.catalogue)):
        try:
            rulesets.append(load_ruleset(directory))
        except (CatalogueError, OSError) as exc:
            return _fail(EXIT_BAD_ARGS, f"{option} {directory}: {exc}")
    current, proposed = rulesets
    diff = diff_rulesets(current, proposed)
    work = change_records(diff, now, since)
    with tempfile.TemporaryDirectory(prefix="casewatch-whatif-") as tmp:
        if args.from_clickhouse:
            result = _from_archive(work, diff, Path(tmp), args.jobs, now)
            if isinstance(result, int):
                return result
        else:
            try:
                path = regular_file(args.events, Path(tmp))
            except OSError as exc:
                return _fail(EXIT_BAD_ARGS, f"cannot read {args.events}: {exc.strerror}")
            jobs = args.jobs or default_jobs(path.stat().st_size, PARALLEL_MIN_BYTES)
            result = replay(path, now, work, Path(tmp), jobs, diff)
        invalid = False
        for problem in result.problems():
            print(problem, file=sys.stderr)
            invalid = True
        header = {"current": current.version, "proposed": proposed.version,
                  "rules_changed": list(diff.changed), "calendar_changed": diff.calendar_changed,
                  "rules_evaluated": sorted(diff.scope), "at": format_cst(now),
                  "from": since and format_cst(since), "events": result.events,
                  "cases_evaluated": result.worked}
        summary = Summary.of(result.records())
        if args.format == "json":
            sys.stdout.writelines(json_chunks(header, summary, result.records))
        else:
            write_table(sys.stdout, header, summary, result.records, args.limit)
        sys.stdout.flush()
    return EXIT_INVALID_LINES if invalid else EXIT_OK


def _from_archive(work, diff: RuleSetDiff, workdir: Path, jobs: int, now: datetime):
    """The replay over the archive, or the exit status when ClickHouse cannot be read."""
    from clickhouse_driver import Client
    from clickhouse_driver.errors import Error as DriverError

    from cli.archive import archive_cases, replay_archive
    from sinks.clickhouse.reader import reader_settings

    settings = reader_settings()
    client = Client(host=settings.host, port=settings.port, user=settings.user,
                    password=settings.password.get_secret_value(),
                    connect_timeout=settings.connect_timeout,
                    send_receive_timeout=settings.send_receive_timeout)
    try:
        cases = archive_cases(client, settings.database, now)
        return replay_archive(cases, now, work, workdir, jobs or cpu_jobs(), diff)
    except (DriverError, OSError, EOFError) as exc:
        where = f"{settings.user}@{settings.host}:{settings.port}"
        return _fail(EXIT_UNAVAILABLE, f"无法读取 ClickHouse / cannot read ClickHouse ({where}): "
                                       f"{first_line(exc)}")
    finally:
        client.disconnect()
