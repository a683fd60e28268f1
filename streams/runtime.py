"""The worker's state and its one writer: stores, cache, due index, and how a job runs.

Jobs (source batches and dues) run one at a time under `lock`, which rebalances take too:
a partition is never released or recovered while a job touches it. A job's changelog
records are acknowledged by Kafka first, then its outputs; only then do the changelog
records reach the local store, its dues the index, and its source offsets a commit
(at-least-once that does not depend on timing; outputs are idempotent).
"""

import asyncio
import gc
import logging
import time
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from rules.engine import Engine
from streams import metrics
from streams.case_cache import CaseCache
from streams.case_store import PartitionStore
from streams.due_index import DueIndex
from streams.kafka_clients import worker_consumer_config, worker_producer_config
from streams.outputs import Outputs
from streams.recovery import recover
from streams.settings import Settings
from streams.work import Job, Processor, Result

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, engine: Engine, clock):
        self.settings = settings
        self.clock = clock
        self.lock = asyncio.Lock()
        self.stores: dict[int, PartitionStore] = {}
        self.cache = CaseCache(settings.case_cache_size, settings.closed_retention)
        self.due_index = DueIndex()
        self.processor = Processor(settings, engine, self.cache, self.stores)
        self.changelog_topic = settings.topic("case-state")
        self.ready = False
        self._producer: AIOKafkaProducer | None = None
        self._outputs: Outputs | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(**worker_producer_config(self.settings))
        await self._producer.start()
        self._outputs = Outputs(self._producer, self.settings.send_retries)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
        for store in self.stores.values():
            store.close()
        self.stores.clear()

    # ------------------------------------------------------------------ partitions

    def owns(self, partition: int) -> bool:
        return partition in self.stores

    async def acquire(self, partitions: set[int]) -> None:
        """Open, catch up and index newly assigned partitions (call under `lock`)."""
        started = time.monotonic()
        consumer = AIOKafkaConsumer(**worker_consumer_config(self.settings, group_id=None))
        await consumer.start()
        try:
            for p in sorted(partitions - set(self.stores)):
                store = PartitionStore(self.settings.state_dir / f"cases-{p}")
                applied = await recover(store, consumer, self.changelog_topic, p)
                self.stores[p] = store
                self.due_index.rebuild(p, store.dues())
                log.info("partition %d recovered: %d changelog records applied", p, applied)
        finally:
            await consumer.stop()
        # The rebuilt index is long-lived: keep it out of the collector's full passes, which
        # would otherwise pause the worker for a second per million entries.
        gc.freeze()
        metrics.RECOVERY_SECONDS.observe(time.monotonic() - started)
        log.info("due index rebuilt: %d cases over partitions %s", len(self.due_index),
                 sorted(self.stores))

    def release(self, partitions: set[int]) -> None:
        """Forget revoked partitions (call under `lock`); their stores stay on disk."""
        for p in partitions & set(self.stores):
            self.stores.pop(p).close()
        self.cache.drop_partitions(partitions)
        self.due_index.keep_only(self.stores)

    # ------------------------------------------------------------------ jobs

    async def execute(self, job: Job) -> dict[tuple[str, int], int]:
        """Run one job to the end; return the source offsets it makes safe to commit."""
        now: datetime = self.clock.now()
        if job.records:
            result = self.processor.records(
                [r for r in job.records if self.owns(r.partition)], now)
        else:
            result = self.processor.dues([d for d in job.dues if self.owns(d[0])], now)
        await self._persist(result)
        return result.offsets

    async def _persist(self, result: Result) -> None:
        # The state first: once the changelog has what this job publishes, a crash before
        # the outputs are acknowledged makes the input a redelivery, which republishes the
        # case's whole state. The other order could lose the knowledge that a warning went
        # out, and a later evaluation that no longer raises it would never withdraw it.
        changelog = [s for s in result.sends if s.topic == self.changelog_topic]
        acked = await self._outputs.send_all(changelog)
        await self._outputs.send_all([s for s in result.sends if s.topic != self.changelog_topic])
        checkpoints: dict[int, int] = {}
        for partition, offset in acked:
            checkpoints[partition] = max(checkpoints.get(partition, 0), offset + 1)
        for p, records in result.changelog.items():
            self.stores[p].apply(records, checkpoints.get(p))
        for p, case_id, due in result.dues:
            self.due_index.set(p, case_id, due)

    def due_now(self, limit: int) -> list[tuple[int, str]]:
        """Up to `limit` (partition, case_id) whose due has come, taken off the index; a
        job re-indexes each with its next due once its outputs are acknowledged."""
        return [(p, c) for p, c, _ in self.due_index.pop_due(time.time(), limit)]
