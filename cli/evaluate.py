"""`casewatch evaluate`: the rule engine over a file, as evaluate.md specifies.

Cases are independent, so a large input is evaluated by several processes (forked after
the file is read, sharing it copy-on-write); the output is the same with any `--jobs`.
On a terminal, reading and evaluating a large file show their progress (cli/progress.py).
"""

import gc
import multiprocessing
import os
import sys
from collections import defaultdict
from datetime import datetime
from operator import itemgetter

from cli.jsonl import Problem, open_lines, read_events
from cli.progress import Progress
from cli.table import render_table
from rules.clock import FixedClock, WallClock
from rules.engine import Engine
from schemas.event import Envelope
from schemas.warning import Warning

EXIT_OK, EXIT_BAD_ARGS, EXIT_INVALID_LINES = 0, 2, 3
PARALLEL_MIN_EVENTS = 20_000  # below this, forking costs more than it saves
MAX_AUTO_JOBS = 8
SHARDS_PER_JOB = 4  # several shards per process: even load, and progress as each ends


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="evaluate the rules over an event file (jsonl)")
    p.add_argument("events", help="EVENTS.jsonl, or - for standard input")
    p.add_argument("--at", help="evaluation instant, RFC 3339 with offset (default: now)")
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
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


def load_cases(stream, now: datetime, progress: Progress | None = None
               ) -> tuple[list[list[Envelope]], list[Problem], int]:
    """(each case's valid events, the problems with their lines, the number of events).
    An event dated more than a day after `now` is a problem, as it is to the worker."""
    cases: dict[str, list[Envelope]] = defaultdict(list)
    problems: list[Problem] = []
    n_events = 0
    lines = read_events(stream, now)
    for _, item in lines if progress is None else progress.wrap(lines):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            cases[item.case_id].append(item)
            n_events += 1
    return list(cases.values()), problems, n_events


def evaluate_stream(stream, now: datetime, engine: Engine | None = None):
    """(warnings sorted as evaluate.md says, problems with the lines), in this process."""
    engine = engine or Engine()
    cases, problems, _ = load_cases(stream, now)
    warnings = [w for events in cases for w in engine.evaluate_case(events, now).warnings]
    warnings.sort(key=sort_key)
    return warnings, problems


# Set before the worker processes fork, so that they inherit the cases instead of
# receiving them through a pipe.
_WORK: tuple[list[list[Envelope]], datetime, Engine] | None = None


def _evaluate_shard(shard: tuple[int, int]) -> list[tuple[tuple, str]]:
    """(sort key, JSON line) of every warning of the shard's cases."""
    index, count = shard
    cases, now, engine = _WORK
    return [
        (sort_key(w), w.model_dump_json())
        for events in cases[index::count]
        for w in engine.evaluate_case(events, now).warnings
    ]


def default_jobs(n_events: int) -> int:
    if n_events < PARALLEL_MIN_EVENTS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), MAX_AUTO_JOBS))


def evaluate_lines(cases: list[list[Envelope]], now: datetime, engine: Engine,
                   jobs: int = 1, progress: Progress | None = None) -> list[str]:
    """Every warning as its JSON line, sorted as evaluate.md says, by `jobs` processes;
    `progress` counts the cases evaluated."""
    global _WORK
    _WORK = (cases, now, engine)
    count = max(1, jobs) * SHARDS_PER_JOB
    shards = [(i, count) for i in range(count)]
    try:
        if jobs <= 1 or len(cases) < 2:
            rows = _collect(map(_evaluate_shard, shards), shards, len(cases), progress)
        else:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                rows = _collect(pool.imap(_evaluate_shard, shards), shards, len(cases),
                                progress)
    finally:
        _WORK = None
    rows.sort(key=itemgetter(0))
    return [line for _, line in rows]


def _collect(parts, shards: list[tuple[int, int]], n_cases: int,
             progress: Progress | None) -> list[tuple[tuple, str]]:
    rows = []
    for (index, count), part in zip(shards, parts, strict=True):
        rows.extend(part)
        if progress is not None:
            progress.advance(len(range(index, n_cases, count)))
    return rows


def _evaluate(stream, now: datetime, jobs: int) -> tuple[list[str], list[Problem]]:
    with stream, Progress("读取 reading", "lines") as reading:
        cases, problems, n_events = load_cases(stream, now, reading)
    with Progress("评估 evaluating", "cases", total=len(cases)) as evaluating:
        lines = evaluate_lines(cases, now, Engine(), jobs or default_jobs(n_events), evaluating)
    return lines, problems


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
        stream = open_lines(args.events)
    except OSError as exc:
        print(f"casewatch evaluate: cannot read {args.events}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_ARGS
    # Nearly everything allocated while reading lives until the warnings are out: the
    # collector would only rescan it, again and again. It is all freed before it resumes.
    collecting = gc.isenabled()
    gc.disable()
    try:
        lines, problems = _evaluate(stream, clock.now(), args.jobs)
    finally:
        if collecting:
            gc.enable()
    for problem in problems:
        print(problem, file=sys.stderr)
    out = sys.stdout
    if args.format == "table":
        out.write(render_table([Warning.model_validate_json(line) for line in lines]))
    else:
        out.writelines(line + "\n" for line in lines)
    out.flush()
    return EXIT_INVALID_LINES if problems else EXIT_OK
