"""What a transaction per partition and job costs (issue 16, item 9): the worker's
PartitionProducer committing N messages plus a source offset in one transaction, against
the same messages sent by the same idempotent producer without a transaction and
acknowledged (the baseline, measured in the same run), for batch sizes the worker sees.

Needs the local Kafka (deploy/stack start). Figures go to docs/benchmarks.md
("transaction per batch").

    .venv/bin/python bench/transaction_bench.py [--rounds 50]
"""

import argparse
import asyncio
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from streams.kafka_clients import worker_producer_config  # noqa: E402
from streams.outputs import PartitionProducer  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.work import Send  # noqa: E402

SIZES = (1, 100, 1_000)
VALUE = b"x" * 500  # about a warning's size


async def timed(rounds: int, once) -> float:
    """Median seconds of one call of `once` over `rounds` (after one warm-up)."""
    await once()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await once()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure(settings: Settings, topic: str, rounds: int) -> list[tuple[int, float, float]]:
    txn = PartitionProducer(settings, 0)
    await txn.start()
    plain = AIOKafkaProducer(**worker_producer_config(settings))
    await plain.start()
    source = TopicPartition(topic, 0)
    out = []
    try:
        for n in SIZES:
            sends = [Send(topic, f"C{i % 50}".encode(), VALUE) for i in range(n)]

            async def transaction(sends=sends):
                await txn.commit(sends, {source: 1}, settings.app_id)

            async def acknowledged(sends=sends):
                batch = plain.create_batch()
                for s in sends:
                    if batch.append(key=s.key, value=s.value, timestamp=None) is None:
                        await (await plain.send_batch(batch, topic, partition=1))
                        batch = plain.create_batch()
                        batch.append(key=s.key, value=s.value, timestamp=None)
                await (await plain.send_batch(batch, topic, partition=1))

            out.append((n, await timed(rounds, transaction), await timed(rounds, acknowledged)))
    finally:
        await txn.stop()
        await plain.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    settings = Settings(app_id=f"txb{tag}", topic_prefix=f"txb{tag}.")
    topic = settings.topic("out")
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    admin.create_topics([NewTopic(topic, 2, 1)])
    try:
        rows = asyncio.run(measure(settings, topic, args.rounds))
    finally:
        admin.delete_topics([topic])
        admin.close()
    lines = ["| messages | transaction with offsets (median) | acknowledged, no transaction "
             "(baseline) | ratio |", "|---|---|---|---|"]
    lines += [f"| {n:,} | {t * 1000:.1f} ms | {b * 1000:.1f} ms | {t / b:.2f} |"
              for n, t, b in rows]
    body = (f"`bench/transaction_bench.py --rounds {args.rounds}` on {platform.node()} "
            f"({platform.processor() or platform.machine()}, 2 cores shared with Kafka): one "
            "partition's share of a job committed by its transactional producer "
            "(`streams/outputs.py`: begin, record batches, `send_offsets_to_transaction`, "
            "commit) against the same messages sent by an idempotent producer and "
            "acknowledged, in the same run.\n\n" + "\n".join(lines))
    print(body)
    write_section("transaction per batch", body)


if __name__ == "__main__":
    main()
