"""Catch a partition's local store up with its changelog, one bounded step at a time.

The restore runs in the source's poll loop with the partition paused (as Kafka Streams'
StoreChangelogReader does), never inside a rebalance callback: the worker keeps serving
its other partitions and heartbeating while a store catches up. It reads committed
records only, so an aborted transaction of a fenced worker is never applied.
"""

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.case_store import PartitionStore
from streams.kafka_clients import worker_consumer_config
from streams.settings import Settings

log = logging.getLogger(__name__)
STEP_RECORDS = 1_000  # applied to RocksDB in one write while the loop waits: about 30 ms


class Restorer:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.topic = settings.topic("case-state")
        self.consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(**worker_consumer_config(self.settings, group_id=None))
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def end(self, partition: int) -> int:
        """The changelog's end for committed reads (its last stable offset)."""
        tp = TopicPartition(self.topic, partition)
        return (await self.consumer.end_offsets([tp]))[tp]

    async def step(self, store: PartitionStore, partition: int, start: int) -> tuple[int, int]:
        """Apply up to STEP_RECORDS records from `start`: (the next offset, records applied)."""
        tp = TopicPartition(self.topic, partition)
        if self.consumer.assignment() != {tp}:
            self.consumer.assign([tp])
            self.consumer.seek(tp, start)
        elif await self.consumer.position(tp) != start:
            self.consumer.seek(tp, start)
        records = (await self.consumer.getmany(tp, timeout_ms=100,
                                               max_records=STEP_RECORDS)).get(tp, [])
        if not records:  # transaction markers and aborted records only, or none yet
            position = await self.consumer.position(tp)
            if position > start:
                store.set_checkpoint(position)
            return position, 0
        store.apply(((r.key, r.value) for r in records), records[-1].offset + 1)
        return records[-1].offset + 1, len(records)
