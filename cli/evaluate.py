"""`casewatch evaluate`: the rule engine over a file, as evaluate.md specifies.

The file is replayed case by case from disk (cli/replay.py), so memory does not grow with
it; cases are independent, so several processes evaluate them, and the output is the same
with any `--jobs`. On a terminal, reading and evaluating show their progress.
"""

import sys
import tempfile
from datetime import datetime
from pathlib import Path

from cli.replay import default_jobs, regular_file, replay
from cli.table import table_lines
from rules.catalogue import CatalogueError
from rules.clock import FixedClock, WallClock
from rules.engine import Engine
from rules.ruleset import RULES_DIR, load_ruleset
from schemas.event import Envelope
from schemas.warning import Warning

EXIT_OK, EXIT_BAD_ARGS, EXIT_INVALID_LINES = 0, 2, 3
PARALLEL_MIN_BYTES = 6_000_000  # about 20,000 events: below this, forking costs more


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="evaluate the rules over an event file (jsonl)")
    p.add_argument("events", help="EVENTS.jsonl, or - for standard input")
    p.add_argument("--at", help="evaluation instant, RFC 3339 with offset (default: now)")
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    p.add_argument("--catalogue", type=Path, default=RULES_DIR, metavar="DIR",
                   help="the rule set to evaluate: a directory laid out like rules/ "
                        "(default: the installed one)")
    p.add_argument("--jobs", type=int, default=0,
                   help="processes evaluating cases (default: one per CPU for large inputs)")
    p.set_defaults(func=run)


def parse_instant(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"--at {text!r} has no offset")
    return at


def sort_key(w: Warning):
    return (w.case_id, w.person_id or "", w.rule_id, w.due_at.timestamp() if w.due_at else 0.0,
            w.warning_id)


def warning_records(engine: Engine, now: datetime):
    """`work` for the replay: a case's warnings as (sort key, JSON line), sorted."""

    def work(case_id: str, events: list[Envelope]) -> list[tuple]:
        return sorted((sort_key(w), w.model_dump_json())
                      for w in engine.evaluate_case(events, now).warnings)

    return work


def run(args) -> int:
    try:
        clock = FixedClock(parse_instant(args.at)) if args.at else WallClock()
    except ValueError as exc:
        print(f"casewatch evaluate: {exc}", file=sys.stderr)
        return EXIT_BAD_ARGS
    if args.jobs < 0:
        print("casewatch evaluate: --jobs must be 0 (automatic) or more", file=sys.stderr)
        return EXIT_BAD_ARGS
    try:
        engine = Engine.from_ruleset(load_ruleset(args.catalogue))
    except (CatalogueError, OSError) as exc:
        print(f"casewatch evaluate: --catalogue {args.catalogue}: {exc}", file=sys.stderr)
        return EXIT_BAD_ARGS
    with tempfile.TemporaryDirectory(prefix="casewatch-evaluate-") as tmp:
        try:
            path = regular_file(args.events, Path(tmp))
        except OSError as exc:
            print(f"casewatch evaluate: cannot read {args.events}: {exc.strerror}",
                  file=sys.stderr)
            return EXIT_BAD_ARGS
        jobs = args.jobs or default_jobs(path.stat().st_size, PARALLEL_MIN_BYTES)
        now = clock.now()
        result = replay(path, now, warning_records(engine, now), Path(tmp), jobs)
        invalid = False
        for problem in result.problems():
            print(problem, file=sys.stderr)
            invalid = True
        out = sys.stdout
        if args.format == "table":
            out.writelines(table_lines(lambda: (Warning.model_validate_json(line)
                                                for _, line in result.records())))
        else:
            out.writelines(line + "\n" for _, line in result.records())
        out.flush()
    return EXIT_INVALID_LINES if invalid else EXIT_OK
