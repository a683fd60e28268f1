"""Baseline: consume a topic with aiokafka `getmany` and validate every event, nothing else."""

import time
import uuid

from aiokafka import AIOKafkaConsumer

from schemas.event import parse_event


async def raw_loop(bootstrap: str, topic: str, n: int) -> float:
    """Seconds from the first fetch until `n` events were validated."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap,
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
