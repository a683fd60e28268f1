"""Catch a partition's local store up with its changelog, from the store's checkpoint."""

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.case_store import PartitionStore

log = logging.getLogger(__name__)
BATCH = 20_000


async def recover(store: PartitionStore, consumer: AIOKafkaConsumer, topic: str,
                  partition: int) -> int:
    """Apply the changelog records the store lacks; return how many were applied.

    `consumer` is a group-less consumer used for recovery only (it is re-assigned here).
    """
    tp = TopicPartition(topic, partition)
    consumer.assign([tp])
    end = (await consumer.end_offsets([tp]))[tp]
    start = store.checkpoint()
    if start > end:  # the changelog was recreated: the local copy belongs to another one
        log.warning("store of %s is ahead of its changelog (%d > %d): rebuilding",
                    tp, start, end)
        store.destroy()
        start = 0
    applied = 0
    consumer.seek(tp, start)
    while start < end:
        records = (await consumer.getmany(tp, timeout_ms=1000, max_records=BATCH)).get(tp, [])
        if records:
            store.apply(((r.key, r.value) for r in records), records[-1].offset + 1)
            applied += len(records)
            start = records[-1].offset + 1
        else:
            start = await consumer.position(tp)
    return applied
