"""Heap size of the due index against the live dues after many due changes.

10,000 cases with a due each, then 1,000,000 changes: a random case's due moves (95 %) or
is cleared (5 %; a cleared case gets a due again on its next change), as evaluations move
the next due of cases again and again. Measured: heap entries held against live dues (at
the end and the worst seen, sampled every 1,000 changes), and CPU time per change against
a bare `heapq.heappush` of the same entries in the same run (the cost of lazy deletion
alone). Without compaction every change that moves a due leaves an entry behind.

    .venv/bin/python -m bench.due_index_bench [--cases 10000] [--changes 1000000]
"""

import argparse
import heapq
import platform
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import write_section
from streams.due_index import DueIndex


def changes(cases: int, count: int, seed: int = 1) -> list[tuple[str, float | None]]:
    rng = random.Random(seed)
    return [(f"C{rng.randrange(cases)}", None if rng.random() < 0.05 else rng.uniform(0, 1e9))
            for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=1_000_000)
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[0]
    plan = changes(args.cases, args.changes)
    index = DueIndex()
    for n in range(args.cases):
        index.set(0, f"C{n}", 1e9 + n)
    worst, pushes = 0.0, 0
    started = time.process_time()
    for i, (case_id, at) in enumerate(plan):
        index.set(0, case_id, at)
        pushes += at is not None
        if i % 1000 == 0 and len(index):
            worst = max(worst, index.entries() / len(index))
    spent = time.process_time() - started
    heap: list = []
    started = time.process_time()
    for case_id, at in plan:
        if at is not None:
            heapq.heappush(heap, (at, case_id))
    bare = time.process_time() - started
    live, held = len(index), index.entries()
    body = "\n".join([
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, Python "
        f"{platform.python_version()}, on a shared machine (load average before "
        f"{load_before}); `bench/due_index_bench.py --cases {args.cases} "
        f"--changes {args.changes}`.",
        "",
        f"{args.cases:,} cases with a due, then {args.changes:,} changes of a random case's "
        "due (5 % cleared). Without compaction the heap would hold every entry ever pushed.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| live dues at the end | {live:,} |",
        f"| heap entries at the end | {held:,} ({held / live:.2f} × live) |",
        f"| worst heap / live seen (every 1,000 changes) | {worst:.2f} |",
        f"| heap entries without compaction | {args.cases + pushes:,} "
        f"({(args.cases + pushes) / live:.0f} × live) |",
        f"| CPU µs per change | {spent / len(plan) * 1e6:.2f} |",
        f"| baseline: bare `heappush` µs per change | {bare / len(plan) * 1e6:.2f} |",
        f"| ratio | {spent / bare:.2f} |",
        "",
        f"Target (issue 16): heap ≤ 2 × live entries — "
        f"{'met' if worst <= 2 and held <= 2 * live else 'missed'}.",
    ])
    print(body)
    write_section("due index heap after due changes", body)


if __name__ == "__main__":
    main()
