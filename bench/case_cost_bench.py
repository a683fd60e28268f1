"""Per-event cost of the worker's case processing at 5, 20 and 100 events per case.

What one event costs the worker's CPU when its case already holds a long history: the
events of many cases of N events each are fed one event per job, interleaved across cases
(the worst order: no two events of a case share a job), through `streams.work.Processor`
with its real local store (RocksDB) — validation, the rules, encoding of every output and
of the changelog delta, and the store write. Kafka I/O is left out (the pipeline bench
measures it). The same generated persons are grouped 1, 4 or 20 to a case (about 5, 20
and 100 events per case), as cases with many suspects are.

    .venv/bin/python -m bench.case_cost_bench [--events 20000] [--rounds 3]
"""

import argparse
import gc
import json
import platform
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from bench.report import write_section
from cli.lifecycles import generate_events
from rules.engine import Engine
from schemas.event_types import CASE_LEVEL_TYPES
from streams.case_cache import CaseCache
from streams.case_store import PartitionStore
from streams.settings import Settings
from streams.work import Processor

PERSONS_PER_CASE = (1, 4, 20)  # about 5, 20 and 100 events per case
NOW = datetime(2027, 6, 30, tzinfo=UTC)


def person_lifecycles(total: int, seed: int = 1) -> list[list[dict]]:
    """Every person's own events in generated lifecycles (case-level events left out: a
    case has one set of decisions, not one per merged case)."""
    by_person = defaultdict(list)
    for e in generate_events(total, seed=seed):
        if e["event_type"] not in CASE_LEVEL_TYPES:
            by_person[e["person_id"]].append(e)
    return list(by_person.values())


def cases_of(persons: list[list[dict]], per_case: int) -> list[list[dict]]:
    """The same persons, `per_case` of them to a case: every size shares one pool, so the
    sizes differ in case history only, not in what a person goes through."""
    out = []
    for n in range(0, len(persons) - per_case + 1, per_case):
        case_id = f"M{per_case}-{n}"
        out.append([dict(e, case_id=case_id) for p in persons[n:n + per_case] for e in p])
    return out


def records(cases: list[list[dict]]) -> list[SimpleNamespace]:
    """Interleaved: one event of each case in turn."""
    out, offset = [], 0
    for i in range(max(map(len, cases))):
        for events in cases:
            if i < len(events):
                e = events[i]
                out.append(SimpleNamespace(topic="bench.case-events", partition=0,
                                           offset=offset, key=e["case_id"].encode(),
                                           value=json.dumps(e).encode()))
                offset += 1
    return out


def cost_per_event(cases: list[list[dict]], engine: Engine) -> float:
    recs = records(cases)
    with tempfile.TemporaryDirectory() as tmp:
        store = PartitionStore(Path(tmp) / "cases-0")
        processor = Processor(Settings(topic_prefix="bench.", state_dir=Path(tmp)), engine,
                              CaseCache(1_000_000, 1e9), {0: store})
        gc.collect()
        started = time.perf_counter()
        for r in recs:
            result = processor.records([r], NOW)
            store.apply(result.changelog.get(0, []), None)
        elapsed = time.perf_counter() - started
        store.close()
    return elapsed / len(recs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="events generated")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts")
    args = parser.parse_args()
    engine = Engine()
    persons = person_lifecycles(args.events)
    per_event = sum(map(len, persons)) / len(persons)
    shapes = {k: cases_of(persons, k) for k in PERSONS_PER_CASE}
    cost_per_event(shapes[1][:100], engine)  # warm caches and imports
    best: dict[int, float] = {}
    for _ in range(args.rounds):  # sizes alternate, the best round counts: the machine is shared
        for k, cases in shapes.items():
            best[k] = min(best.get(k, float("inf")), cost_per_event(cases, engine))
    rows = {k: (best[k], sum(map(len, shapes[k])) / len(shapes[k])) for k in PERSONS_PER_CASE}
    base = rows[1][0]
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"Python {platform.python_version()}, load average before "
        f"{Path('/proc/loadavg').read_text().split()[0]}.",
        "",
        "Per-event CPU cost of the worker's case processing (validation, rules, output and "
        "changelog encoding, local store write; no Kafka I/O), one event per job, cases "
        f"interleaved; {len(persons):,} generated persons ({per_event:.1f} events each) "
        "grouped 1, 4 or 20 to a case; best of the rounds, shapes alternating. Baseline: "
        "one person per case, measured in the same run.",
        "",
        "| persons per case | events per case (mean) | µs per event | ratio to 1 person |",
        "|---|---|---|---|",
    ]
    for k, (cost, size) in rows.items():
        lines.append(f"| {k} | {size:.0f} | {cost * 1e6:,.0f} | {cost / base:.2f} |")
    ratio = rows[PERSONS_PER_CASE[-1]][0] / base
    lines += ["", f"Target: cost at about 100 events per case ≤ 1.5 × at about 5 — "
                  f"{'met' if ratio <= 1.5 else 'missed'} ({ratio:.2f})."]
    body = "\n".join(lines)
    print(body)
    write_section("per-event cost by case history", body)


if __name__ == "__main__":
    main()
