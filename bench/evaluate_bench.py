"""Benchmark: `casewatch evaluate` over N generated events, replayed from disk, against the
whole file evaluated in memory and against parsing alone.

    .venv/bin/python bench/evaluate_bench.py [--events 1000000] [--seed 1] [--jobs 0]

In one run it
1. generates the events with cli.lifecycles into bench/out/ (gitignored), lines shuffled
   — or reuses that file; above 1,000,000 in pieces of 1,000,000, each its own seed, over
   the same months (the case and event ids of piece k prefixed `S<k>` so that they never
   meet), so that the generator never holds more than a piece. It runs in a process of its
   own: a command started later by this one would otherwise inherit its peak in the kernel's
   count of the largest process;
2. baseline: reads the file and validates every line (schemas.event.parse_event);
3. in-memory baseline (up to 2,000,000 events): `--in-memory`, evaluate as it was before
   the replay from disk (every line read into memory, cases grouped, every warning sorted;
   one process), as a subprocess;
4. `casewatch evaluate FILE --at ... --format jsonl > FILE` as a subprocess, and again
   with `--jobs 1`: wall and CPU time, the peak resident memory of the largest process and
   of the whole process tree (bench/measure.py); the outputs must equal the in-memory one;
5. writes the figures into the section "## evaluate over N events" of docs/benchmarks.md.
"""

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from random import Random

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.measure import Measured, machine, measure  # noqa: E402
from bench.report import write_section  # noqa: E402
from cli.generate import generate_lines  # noqa: E402
from cli.lifecycles import generate_events  # noqa: E402
from schemas.event import InvalidEvent, parse_event  # noqa: E402

OUT = REPO / "bench" / "out"
CASEWATCH = REPO / ".venv" / "bin" / "casewatch"
DEFAULT_AT = "2030-01-01T00:00:00+08:00"  # after every generated event
PIECE = 1_000_000
IN_MEMORY_MAX = 2_000_000  # 2.4 GiB per 1,000,000 events in memory: beyond, not run


def generate(path: Path, n_events: int, seed: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for k, start in enumerate(range(0, n_events, PIECE)):
            f.writelines(piece_lines(min(PIECE, n_events - start), seed + k, k))


def piece_lines(n_events: int, seed: int, k: int) -> list[str]:
    """`casewatch generate`'s lines (piece 0: exactly them), ids prefixed `S<k>` after it."""
    if k == 0:
        return generate_lines(n_events, seed)
    lines = []
    for e in generate_events(n_events, seed):
        e["case_id"], e["event_id"] = f"S{k}{e['case_id']}", f"S{k}{e['event_id']}"
        details = e.get("details") or {}  # shared with a repeat of the event: copied
        if "retracts_event_id" in details:
            e["details"] = {**details, "retracts_event_id": f"S{k}{details['retracts_event_id']}"}
        lines.append(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
    Random(f"shuffle:{seed}").shuffle(lines)
    return lines


def baseline(path: Path) -> tuple[float, int, int]:
    """Seconds to read and validate every line; (seconds, valid, invalid)."""
    valid = invalid = 0
    t = time.perf_counter()
    with path.open("rb") as f:
        for raw in f:
            if not raw.strip():
                continue
            try:
                parse_event(raw.rstrip(b"\r\n"))
                valid += 1
            except InvalidEvent:
                invalid += 1
    return time.perf_counter() - t, valid, invalid


def in_memory(path: str, at: str) -> None:
    """evaluate as it was before the replay from disk, to standard output."""
    from cli.evaluate import sort_key
    from cli.jsonl import Problem, read_events
    from rules.engine import Engine

    gc.disable()  # as it did: the collector only rescanned the events held
    now = datetime.fromisoformat(at)
    engine = Engine()
    cases = defaultdict(list)
    with open(path, "rb") as f:
        for _, item in read_events(f, now):
            if not isinstance(item, Problem):
                cases[item.case_id].append(item)
    warnings = [w for events in cases.values() for w in engine.evaluate_case(events, now).warnings]
    warnings.sort(key=sort_key)
    sys.stdout.writelines(w.model_dump_json() + "\n" for w in warnings)


def run_to(path: Path, argv: list) -> tuple[Measured, str, int]:
    """The command's figures, its output's SHA-256 and line count."""
    with path.open("wb") as out:
        m = measure(argv, stdout=out)
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(2**22), b""):
            digest.update(block)
            lines += block.count(b"\n")
    return m, digest.hexdigest(), lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--at", default=DEFAULT_AT)
    p.add_argument("--jobs", type=int, default=0, help="passed to evaluate (0: its default)")
    p.add_argument("--no-doc", action="store_true", help="print the figures, leave the doc")
    p.add_argument("--in-memory", metavar="FILE", help=argparse.SUPPRESS)
    p.add_argument("--write", metavar="FILE", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.in_memory:
        in_memory(args.in_memory, args.at)
        return 0
    if args.write:
        generate(Path(args.write), args.events, args.seed)
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    events_file = OUT / f"events-{args.events}-seed{args.seed}.jsonl"
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    if events_file.exists():
        gen = "reused"
    else:
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--write", events_file, "--events",
                        str(args.events), "--seed", str(args.seed)], check=True)
        gen = f"{time.perf_counter() - t:,.1f} s"
    size_mb = events_file.stat().st_size / 1e6
    print(f"events: {args.events:,} ({size_mb:,.0f} MB), generation {gen}", flush=True)

    base_s, valid, invalid = baseline(events_file)
    print(f"baseline: read + parse {valid + invalid:,} lines in {base_s:.1f} s", flush=True)

    evaluate = [CASEWATCH, "evaluate", events_file, "--at", args.at, "--format", "jsonl"]
    memory = None
    if args.events <= IN_MEMORY_MAX:
        memory = run_to(OUT / "warnings-in-memory.jsonl",
                        [sys.executable, __file__, "--in-memory", events_file, "--at", args.at])
        print(f"in memory: {memory[0]}", flush=True)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    replayed = run_to(OUT / "warnings-replay.jsonl", evaluate + jobs)
    print(f"replay: {replayed[0]}", flush=True)
    single = run_to(OUT / "warnings-replay-1.jsonl", evaluate + ["--jobs", "1"]) \
        if args.events <= IN_MEMORY_MAX else None
    if single is not None:
        print(f"replay --jobs 1: {single[0]}", flush=True)
    load_after = os.getloadavg()
    same = {r[1] for r in (memory, replayed, single) if r is not None}
    if len(same) != 1:
        sys.exit("the outputs differ: " + ", ".join(sorted(same)))

    def row(label: str, r) -> str:
        m = r[0]
        return (f"| {label} | {m.seconds:,.1f} | {m.cpu_seconds:,.1f} | "
                f"{args.events / m.seconds:,.0f} | {m.peak_process_mib:,.0f} | "
                f"{m.peak_tree_mib:,.0f} |")

    rows = [row("in memory, one process (as before the replay)", memory) if memory else
            f"| in memory | not run: about {2.4 * args.events / 1e6:,.0f} GiB (2.4 GiB per "
            "1,000,000 events, measured) | | | | |",
            row(f"replay from disk, `--jobs` {args.jobs or 'default (one per CPU)'}", replayed)]
    if single is not None:
        rows.append(row("replay from disk, `--jobs 1`", single))
    ratio = (f"replay / in memory: {replayed[0].seconds / memory[0].seconds:.2f} × the time, "
             f"{replayed[0].peak_tree_mib / memory[0].peak_tree_mib:.2f} × the memory (tree); "
             if memory else "")
    body = f"""\
Measured by `bench/evaluate_bench.py --events {args.events}` on a shared, loaded machine
(the load average below says how loaded); {args.events:,} events from `cli.lifecycles`
(seed {args.seed}{", in pieces of 1,000,000" if args.events > PIECE else ""}), lines
shuffled, evaluated `--at {args.at}`; {replayed[2]:,} warnings, the same bytes from every
run (SHA-256 {replayed[1][:16]}…).

| measure | value |
|---|---|
| date | {started:%Y-%m-%d %H:%M} UTC |
| machine | {machine()} |
| events | {args.events:,} lines, {size_mb:,.0f} MB ({invalid} invalid) |
| generation (not timed against anything) | {gen} |
| baseline: read + `parse_event` every line, one process | {base_s:,.1f} s |
| load average before / after (1 min) | {load_before[0]:.2f} / {load_after[0]:.2f} |

| run | wall s | CPU s | events/s | peak RSS, largest process (MiB) | peak RSS, all (MiB) |
|---|---|---|---|---|---|
{chr(10).join(rows)}

{ratio}replay / parsing alone: {replayed[0].seconds / base_s:.2f} × the time.
Target (issue 14): 10,000,000 events with RSS ≤ 1 GB.
"""
    print(body)
    if not args.no_doc:
        write_section(f"evaluate over {args.events:,} events", body)
        print("updated docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
