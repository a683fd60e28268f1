"""Pipeline benchmark: events/s through the worker against a raw consume-and-decode loop,
and the firing delay of deadlines with many open obligations against an empty index.

Needs the local stack (deploy/stack start). Uses its own topics, app id, database and
metrics port, and removes them afterwards. Figures go to docs/benchmarks.md.

    .venv/bin/python bench/pipeline_bench.py [--events 50000] [--open-cases 250000]
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from cli.lifecycles import generate_events  # noqa: E402
from schemas.event import parse_event  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.topics import ensure_topics  # noqa: E402
from tests.support.worker_process import WorkerProcess  # noqa: E402

OUT = REPO / "bench" / "out"
PROBES = 200  # deadlines measured per phase
OBLIGATIONS_PER_DETENTION = 4  # jail transfer, family notice, interrogation, arrest request


class Run:
    def __init__(self, name: str):
        tag = uuid.uuid4().hex[:6]
        self.dir = OUT / f"{name}-{tag}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            "CASEWATCH_TOPIC_PREFIX": f"bench{tag}.",
            "CASEWATCH_APP_ID": f"bench{tag}",
            "CASEWATCH_STATE_DIR": str(self.dir / "state"),
            "CASEWATCH_CLICKHOUSE_DATABASE": f"bench_{tag}",
            "CASEWATCH_METRICS_PORT": "19470",
        }
        self.settings = Settings.from_env(self.env)
        ensure_topics(self.settings)
        self.worker = WorkerProcess(self.env, self.dir / "worker.log")
        self.topic = self.settings.topic("case-events")

    def publish(self, events) -> int:
        producer = KafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap, linger_ms=50,
                                 batch_size=256 * 1024, acks=1)
        n = 0
        for e in events:
            producer.send(self.topic, key=e["case_id"].encode(),
                          value=json.dumps(e, ensure_ascii=False).encode())
            n += 1
        producer.flush()
        producer.close()
        return n

    def processed(self) -> float:
        return sum(self.worker.metric_values("casewatch_events_in_total").values())

    def close(self) -> None:
        self.worker.stop()
        admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
        mine = [t for t in admin.list_topics()
                if t.startswith(self.env["CASEWATCH_TOPIC_PREFIX"])
                or t.startswith(self.env["CASEWATCH_APP_ID"])]
        admin.delete_topics(mine)
        admin.close()
        from sinks.clickhouse import ClickHouse

        ClickHouse(self.settings.clickhouse).execute(
            f"DROP DATABASE IF EXISTS {self.settings.clickhouse.database}")


async def raw_consume(settings: Settings, topic: str, n: int) -> float:
    """Baseline: consume and validate every message with aiokafka, nothing else."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                group_id=f"raw-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    seen = 0
    started = time.perf_counter()
    try:
        while seen < n:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for m in records:
                    parse_event(m.value)
                    seen += 1
    finally:
        await consumer.stop()
    return time.perf_counter() - started


def throughput(n_events: int) -> dict:
    run = Run("throughput")
    try:
        n = run.publish(generate_events(n_events, seed=11, start=datetime.now(UTC)
                                        - timedelta(days=400)))
        baseline = asyncio.run(raw_consume(run.settings, run.topic, n))
        run.worker.start()
        started = time.perf_counter()
        while run.processed() < n:
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        return {"events": n, "baseline_s": baseline, "pipeline_s": elapsed}
    finally:
        run.close()


def detentions(n: int, hours_ago: float, prefix: str):
    at = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
    for i in range(n):
        yield dict(event_id=f"{prefix}{i}-1", schema_version=1, event_type="detained",
                   occurred_at=at, case_id=f"{prefix}{i}", case_kind="criminal",
                   person_id="P1", unit_id="U3301")


def firing_delay(open_cases: int) -> dict:
    """Delays (s) from due to the overdue warning on the topic, for PROBES summons."""
    run = Run(f"firing{open_cases}")
    try:
        run.worker.start()
        if open_cases:
            run.publish(detentions(open_cases, 1.0, "O"))
            while run.processed() < open_cases:
                time.sleep(0.5)
        index_size = run.worker.metric("casewatch_due_index_size")
        due0 = datetime.now(UTC) + timedelta(seconds=20)
        dues = {f"S{i}": due0 + timedelta(milliseconds=50 * i) for i in range(PROBES)}
        arrivals: dict[str, float] = {}
        stop = threading.Event()

        def collect():
            consumer = KafkaConsumer(run.settings.topic("warnings"),
                                     bootstrap_servers=run.settings.kafka_bootstrap,
                                     auto_offset_reset="latest")
            while not stop.is_set():
                for records in consumer.poll(timeout_ms=100).values():
                    now = time.time()
                    for m in records:
                        w = json.loads(m.value)
                        if w["case_id"] in dues and w["level"] == "overdue":
                            arrivals.setdefault(w["case_id"], now)
            consumer.close()

        thread = threading.Thread(target=collect, daemon=True)
        thread.start()
        time.sleep(3)
        run.publish(dict(event_id=f"{c}-1", schema_version=1, event_type="summons_started",
                         occurred_at=(due - timedelta(hours=12)).isoformat(), case_id=c,
                         case_kind="criminal", person_id="P1", unit_id="U3301",
                         details={"kind": "summons"}) for c, due in dues.items())
        deadline = time.time() + 90
        while len(arrivals) < PROBES and time.time() < deadline:
            time.sleep(0.5)
        stop.set()
        thread.join(5)
        delays = sorted(arrivals[c] - dues[c].timestamp() for c in arrivals)
        return {"open_obligations": open_cases * OBLIGATIONS_PER_DETENTION,
                "index_cases": int(index_size), "fired": len(delays),
                "median_s": statistics.median(delays), "p99_s": delays[int(0.99 * len(delays))],
                "max_s": delays[-1]}
    finally:
        run.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--open-cases", type=int, default=250_000)
    args = parser.parse_args()
    tp = throughput(args.events)
    empty = firing_delay(0)
    loaded = firing_delay(args.open_cases)
    pipeline_rate = tp["events"] / tp["pipeline_s"]
    baseline_rate = tp["events"] / tp["baseline_s"]
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, local Kafka 4 and ClickHouse 18.16.",
        "",
        "| measure | baseline | casewatch | ratio |",
        "|---|---|---|---|",
        f"| events/s, {tp['events']:,} generated events | {baseline_rate:,.0f} (raw aiokafka "
        f"consume + validate) | {pipeline_rate:,.0f} (worker, all outputs) | "
        f"{pipeline_rate / baseline_rate:.3f} |",
        f"| deadline firing delay, median (s) | {empty['median_s']:.3f} (empty index) | "
        f"{loaded['median_s']:.3f} ({loaded['open_obligations']:,} open obligations) | "
        f"{loaded['median_s'] / empty['median_s']:.2f} |",
        f"| deadline firing delay, p99 (s) | {empty['p99_s']:.3f} | {loaded['p99_s']:.3f} | "
        f"{loaded['p99_s'] / empty['p99_s']:.2f} |",
        f"| deadline firing delay, max (s) | {empty['max_s']:.3f} | {loaded['max_s']:.3f} | "
        f"{loaded['max_s'] / empty['max_s']:.2f} |",
        "",
        f"Firing delay: from the due instant of {PROBES} summons deadlines to their `overdue` "
        f"warning arriving on the warnings topic ({loaded['fired']} of {PROBES} fired with "
        f"{loaded['index_cases']:,} cases in the due index).",
    ]
    write_section("pipeline", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
