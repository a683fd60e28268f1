"""Notifier burst benchmark: 10,000 warnings at once over 100 units.

Publishes the burst to the warnings topic of its own sandbox and measures, with
`casewatch notify` running against local receivers (one HTTP server standing in for 100
units' webhooks; a Kafka topic for the in-house copy):

- messages per route and unit: one each (grouping), all received within
  `group_wait` + 1 s after the burst's last warning was acknowledged by Kafka;
- the notifier's time to take the whole burst (its committed offsets reach the end)
  against a baseline measured in the same run: a plain read_committed aiokafka consumer
  reading the same 10,000 records;
- the notifier's lag (casewatch_notify_lag_messages, sampled) and its peak RSS.

Needs the local stack (deploy/stack start). Writes its section of docs/benchmarks.md.

    .venv/bin/python bench/notify_bench.py [--warnings 10000] [--units 100] [--group-wait 5]
"""

import argparse
import asyncio
import platform
import re
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from schemas.warning import LegalBasis, Warning  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.topics import ensure_topics  # noqa: E402
from tests.support.kafka_topics import (  # noqa: E402
    committed_offsets,
    delete_topics_with_prefix,
    end_offsets,
    read_topic,
)
from tests.support.notify_process import NotifyProcess  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.receivers import HttpReceiver  # noqa: E402

BOOTSTRAP = "127.0.0.1:9092"


def routing(units: list[str], url: str, group_wait: float, out_topic: str) -> str:
    receivers = "".join(f'[[receivers]]\nname = "{u}"\nkind = "webhook"\nurl = "{url}/{u}"\n'
                        for u in units)
    table = "".join(f'[units.{u}]\nduty = "{u}"\n' for u in units)
    return f"""
[defaults]
group_by = ["unit_id"]
group_wait = "{group_wait}s"
group_interval = "5m"
max_items = 20

{receivers}
[[receivers]]
name = "inhouse"
kind = "kafka"
topic = "{out_topic}"

{table}
[[routes]]
name = "copy"
match = {{ source = ["warning"] }}
receivers = ["inhouse"]
continue = true

[[routes]]
name = "units"
match = {{ source = ["warning"] }}
receivers = ["@unit.duty"]
"""


def burst(n: int, units: list[str]) -> list[Warning]:
    at = datetime.now(UTC).replace(microsecond=0)
    return [Warning(warning_id=f"b{i:06d}", rule_id="det_family_notice", rule_kind="statutory",
                    level="overdue", status="open", late=None, case_id=f"C{i:06d}",
                    person_id="P1", unit_id=units[i % len(units)], due_at=at,
                    resolved_at=None, changed_at=at, evidence=["E1"],
                    basis=[LegalBasis(ref="CPL 85②", text_zh="二十四小时以内通知")],
                    message_zh="拘留后应在24小时内通知家属", message_en="notify the family")
            for i in range(n)]


async def publish(topic: str, warnings: list[Warning]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=5,
                                enable_idempotence=True)
    await producer.start()
    try:
        futures = [await producer.send(topic, key=w.case_id.encode(),
                                       value=w.model_dump_json().encode()) for w in warnings]
        await asyncio.gather(*futures)
        return time.monotonic()
    finally:
        await producer.stop()


async def baseline(topic: str, n: int) -> float:
    """Seconds a plain read_committed consumer takes to read the n records."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=BOOTSTRAP, group_id=None,
                                isolation_level="read_committed", auto_offset_reset="earliest")
    await consumer.start()
    try:
        started, seen = time.monotonic(), 0
        while seen < n:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            seen += sum(len(v) for v in batch.values())
        return time.monotonic() - started
    finally:
        await consumer.stop()


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


def metric(port: str, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        lines = resp.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines
               if line.startswith(name + "{") or line.startswith(name + " "))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warnings", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--group-wait", type=float, default=5.0)
    parser.add_argument("--no-write", action="store_true", help="do not update the doc")
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    prefix, app_id = f"nb{tag}.", f"nb{tag}"
    tmp = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    units = [f"U{i:03d}" for i in range(args.units)]
    receiver = HttpReceiver()
    env = {"CASEWATCH_KAFKA_BOOTSTRAP": BOOTSTRAP, "CASEWATCH_TOPIC_PREFIX": prefix,
           "CASEWATCH_APP_ID": app_id, "CASEWATCH_NOTIFY_CONFIG": str(tmp / "notify.toml"),
           "CASEWATCH_NOTIFY_METRICS_PORT": str(free_port())}
    ensure_topics(Settings.from_env(env))
    out_topic = prefix + "notify-out"
    (tmp / "notify.toml").write_text(routing(units, receiver.url, args.group_wait, out_topic))
    notifier = NotifyProcess(env, tmp / "notify.log")
    try:
        notifier.start()
        warnings = burst(args.warnings, units)
        acked = asyncio.run(publish(prefix + "warnings", warnings))
        lags, deadline = [], acked + args.group_wait + 60
        ends = end_offsets(BOOTSTRAP, prefix + "warnings")
        taken_at = None
        while time.monotonic() < deadline:
            lags.append(metric(env["CASEWATCH_NOTIFY_METRICS_PORT"],
                               "casewatch_notify_lag_messages"))
            if taken_at is None and committed_offsets(BOOTSTRAP, f"{app_id}-notify",
                                                      prefix + "warnings") == ends:
                taken_at = time.monotonic()
            copies = len(read_topic(BOOTSTRAP, out_topic)) if len(receiver.requests) >= len(
                units) else 0
            if taken_at is not None and len(receiver.requests) >= len(units) and copies >= len(
                    units):
                break
            time.sleep(0.2)
        webhook_units = sorted(r.path.rsplit("/", 1)[1] for r in receiver.requests)
        copies = read_topic(BOOTSTRAP, out_topic)
        rss = peak_rss_mib(notifier.proc.pid)
        base = asyncio.run(baseline(prefix + "warnings", args.warnings))
    finally:
        notifier.stop()
        receiver.close()
        delete_topics_with_prefix(BOOTSTRAP, prefix, app_id)
    arrival = [r.received_at for r in receiver.requests]
    last_hook = max(arrival) - acked if arrival else float("nan")
    take = (taken_at or float("nan")) - acked
    per_unit = "one per unit" if webhook_units == units else "NOT one per unit"
    within = f"`group_wait` + 1 s = {args.group_wait + 1:g} s"
    body = f"""
Measured with `bench/notify_bench.py` on a shared, loaded machine ({platform.machine()},
{args.warnings:,} warnings in one burst over {args.units} units, `group_wait` =
{args.group_wait:g} s). Routes: `units` (each unit's webhook, a local HTTP receiver) and
`copy` (a Kafka topic).

| figure | value |
|---|---|
| messages per route | `units`: {len(receiver.requests)} ({per_unit}), `copy`: {len(copies)} |
| last webhook message after the burst was acknowledged | {last_hook:.2f} s ({within}) |
| notifier took the burst (committed offsets at the end, after the last ack) | {take:.2f} s |
| baseline: plain read_committed consumer reading the burst | {base:.2f} s |
| ratio notifier / baseline | {take / base:.1f} |
| peak lag sampled (`casewatch_notify_lag_messages`) | {max(lags, default=0):,.0f} |
| notifier peak RSS | {rss:.0f} MiB |
"""
    print(body)
    if not args.no_write:
        write_section("notifier burst", body)


if __name__ == "__main__":
    main()
