"""Re-publish records the case agent skipped (see streams/gaps.py), so nothing is lost.

The skipped records are read back from Kafka and sent again, byte for byte and with the
same key, to the same topic, marked as replays: the agent processes them as a replay
after a crash (republishing the case's current state), which is idempotent downstream.
"""

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams import metrics
from streams.app import app, settings
from streams.kafka_auth import aiokafka_kwargs

log = logging.getLogger(__name__)
#: Marks a re-published record: its case's outputs may never have been flushed by the worker
#: that first processed it, so the agent republishes them as for any replay.
REPLAY_HEADER = {"casewatch-replay": b"1"}


async def republish(topic: str, partition: int, start: int, end: int) -> int:
    """Send records [start, end) of topic/partition to the topic again; return how many."""
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                enable_auto_commit=False, group_id=None,
                                **aiokafka_kwargs(settings))
    await consumer.start()
    sent = 0
    try:
        consumer.assign([tp])
        first = (await consumer.beginning_offsets([tp]))[tp]
        consumer.seek(tp, max(start, first))
        while (await consumer.position(tp)) < end:
            records = (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])
            for r in records:
                if r.offset < end:
                    await app.send(topic, key=r.key, value=r.value, partition=partition,
                                   headers=REPLAY_HEADER,
                                   key_serializer="raw", value_serializer="raw")
                    sent += 1
    finally:
        await consumer.stop()
    metrics.SKIPPED_REPUBLISHED.inc(sent)
    log.warning("re-published %d skipped records of %s[%d] %d..%d", sent, topic, partition,
                start, end - 1)
    return sent
