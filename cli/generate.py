"""`casewatch generate`: a synthetic event file (jsonl) of realistic case lifecycles.

    casewatch generate --events 100000 --seed 7 --out events.jsonl

Lines are shuffled (publication order is not trusted, events.md), deterministically per
seed; `--out -` writes to standard output. On a terminal, progress shows on standard error.
"""

import json
import sys
from datetime import datetime
from random import Random

from cli.lifecycles import DEFAULT_CASES_PER_DAY, DEFAULT_START, generate_events
from cli.progress import Progress

EXIT_OK, EXIT_BAD_ARGS = 0, 2


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("generate", help="write a synthetic event file (jsonl)")
    p.add_argument("--events", type=int, required=True, help="number of events (lines)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="FILE.jsonl, or - for standard output")
    p.add_argument("--start", help="first case opens at this instant, RFC 3339 with offset "
                   "(default 2026-01-01T00:00:00+08:00)")
    p.add_argument("--cases-per-day", type=float, default=DEFAULT_CASES_PER_DAY)
    p.add_argument("--no-shuffle", action="store_true",
                   help="keep case-by-case order instead of shuffling the lines")
    p.set_defaults(func=run)


def generate_lines(n_events: int, seed: int, start: datetime = DEFAULT_START,
                   cases_per_day: float = DEFAULT_CASES_PER_DAY, shuffle: bool = True,
                   progress: Progress | None = None) -> list[str]:
    events = generate_events(n_events, seed, start, cases_per_day)
    lines = [
        json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"
        for event in (events if progress is None else progress.wrap(events))
    ]
    if shuffle:
        Random(f"shuffle:{seed}").shuffle(lines)
    return lines


def run(args) -> int:
    start = DEFAULT_START
    if args.start:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError as exc:
            print(f"casewatch generate: --start: {exc}", file=sys.stderr)
            return EXIT_BAD_ARGS
        if start.tzinfo is None:
            print(f"casewatch generate: --start {args.start!r} has no offset", file=sys.stderr)
            return EXIT_BAD_ARGS
    if args.events < 0 or args.cases_per_day <= 0:
        print("casewatch generate: --events must be >= 0 and --cases-per-day > 0",
              file=sys.stderr)
        return EXIT_BAD_ARGS
    with Progress("生成 generating", "events", total=args.events) as progress:
        lines = generate_lines(args.events, args.seed, start, args.cases_per_day,
                               shuffle=not args.no_shuffle, progress=progress)
    if args.out == "-":
        sys.stdout.writelines(lines)
        sys.stdout.flush()
        return EXIT_OK
    try:
        with open(args.out, "w", encoding="utf-8") as f:
            f.writelines(lines)
    except OSError as exc:
        print(f"casewatch generate: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_ARGS
    print(f"wrote {len(lines)} events to {args.out}", file=sys.stderr)
    return EXIT_OK
