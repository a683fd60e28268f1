"""`casewatch evaluate`: the rule engine over a file, as evaluate.md specifies."""

import sys
from collections import defaultdict
from datetime import datetime

from cli.jsonl import Problem, open_lines, read_events
from cli.table import render_table
from rules.clock import FixedClock, WallClock
from rules.engine import Engine
from schemas.warning import Warning

EXIT_OK, EXIT_BAD_ARGS, EXIT_INVALID_LINES = 0, 2, 3


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="evaluate the rules over an event file (jsonl)")
    p.add_argument("events", help="EVENTS.jsonl, or - for standard input")
    p.add_argument("--at", help="evaluation instant, RFC 3339 with offset (default: now)")
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    p.set_defaults(func=run)


def parse_instant(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"--at {text!r} has no offset")
    return at


def sort_key(w: Warning):
    return (w.case_id, w.person_id or "", w.rule_id, w.due_at.timestamp() if w.due_at else 0.0,
            w.warning_id)


def evaluate_stream(stream, now: datetime, engine: Engine | None = None):
    """(warnings sorted as evaluate.md says, problems with the lines)."""
    engine = engine or Engine()
    cases: dict[str, list] = defaultdict(list)
    problems: list[Problem] = []
    for _, item in read_events(stream):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            cases[item.case_id].append(item)
    warnings = [w for events in cases.values() for w in engine.evaluate_case(events, now).warnings]
    warnings.sort(key=sort_key)
    return warnings, problems


def run(args) -> int:
    try:
        clock = FixedClock(parse_instant(args.at)) if args.at else WallClock()
    except ValueError as exc:
        print(f"casewatch evaluate: {exc}", file=sys.stderr)
        return EXIT_BAD_ARGS
    try:
        stream = open_lines(args.events)
    except OSError as exc:
        print(f"casewatch evaluate: cannot read {args.events}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_ARGS
    with stream:
        warnings, problems = evaluate_stream(stream, clock.now())
    for problem in problems:
        print(problem, file=sys.stderr)
    out = sys.stdout
    if args.format == "table":
        out.write(render_table(warnings))
    else:
        out.writelines(w.model_dump_json() + "\n" for w in warnings)
    out.flush()
    return EXIT_INVALID_LINES if problems else EXIT_OK
