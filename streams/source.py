"""The source: batches of case events read with aiokafka `getmany`, and the poll loop that
restores partitions.

The consumer belongs to the group `<app_id>`. Faust's own consumer is not used (see
streams/app.py): its recovery resumed partitions before seeking them after a rebalance
(faust-streaming/faust#596) and its offset tracking could commit past an unprocessed
record (#606). Here offsets are committed only inside the transactions that publish what
was derived from the records (streams/outputs.py).

A rebalance callback only records the change and pauses what was assigned: restoring a
partition happens in this loop, a bounded step at a time between batches of the others (as
Kafka Streams restores in its poll loop), so the member keeps heartbeating. A partition is
resumed once its task is active, from the group's committed offset.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from streams import metrics
from streams.clock_guard import ClockGuard
from streams.kafka_clients import worker_consumer_config
from streams.runtime import Runtime
from streams.work import Job

log = logging.getLogger(__name__)

Submit = Callable[[Job], Awaitable[None]]


class Source(ConsumerRebalanceListener):
    def __init__(self, runtime: Runtime, submit: Submit,
                 on_fatal: Callable[[BaseException], None], clock: ClockGuard):
        self.runtime = runtime
        self.clock = clock  # jobs wait while this worker's clock is off
        self.submit = submit
        self.on_fatal = on_fatal  # stops the worker without committing
        self.topic = runtime.settings.topic("case-events")
        self.consumer: AIOKafkaConsumer | None = None
        self.polled_at = 0.0  # monotonic time of the last poll, for /health

    async def run(self) -> None:
        settings = self.runtime.settings
        self.consumer = AIOKafkaConsumer(
            **worker_consumer_config(settings, group_id=settings.app_id))
        self.consumer.subscribe([self.topic], listener=self)
        await self.consumer.start()
        try:
            while True:
                restoring = self.runtime.restoring()
                if restoring:
                    await self._restore_step()
                if not self.clock.ok:
                    self.polled_at = time.monotonic()
                    await asyncio.sleep(0.5)
                    continue
                batches = await self.consumer.getmany(
                    timeout_ms=0 if restoring else 100,
                    max_records=settings.batch_max_records)
                self.polled_at = time.monotonic()
                records = [r for part in batches.values() for r in part]
                if records:
                    await self._process(records)
                self._pause_lost()
                self._report_lag()
        finally:
            await self.consumer.stop()

    async def _process(self, records: list) -> None:
        started = time.monotonic()
        self._know_partitions()
        async with self.runtime.lock:
            await self.submit(Job(records=records))
        metrics.BATCH_SECONDS.observe(time.monotonic() - started)

    def _know_partitions(self) -> None:
        """Tell the processor where each key belongs: Kafka's default partitioner (murmur2)
        over the source topic's partitions."""
        partitions = self.consumer.partitions_for_topic(self.topic)
        if partitions and self.runtime.processor.home is None:
            ordered = sorted(partitions)
            partitioner = DefaultPartitioner()
            self.runtime.processor.home = lambda key: partitioner(key, ordered, ordered)

    async def _restore_step(self) -> None:
        async with self.runtime.lock:
            p = await self.runtime.restore_step()
            if p is None:
                return
            if self.runtime.tasks[p].store.quarantined():
                await self.submit(Job(replay=[p]))
            await self._resume(p)
        if self.runtime.ready:
            log.info("worker ready: partitions %s", sorted(self.runtime.tasks))

    async def _resume(self, partition: int) -> None:
        """Read an active partition again from the group's committed offset (what this
        worker read past it before was not committed, or was another owner's)."""
        tp = TopicPartition(self.topic, partition)
        if tp not in self.consumer.assignment():
            return
        committed = await self.consumer.committed(tp)
        if committed is None:
            await self.consumer.seek_to_beginning(tp)
        else:
            self.consumer.seek(tp, committed)
        self.runtime.tasks[partition].committed = committed
        self.consumer.resume(tp)

    def _pause_lost(self) -> None:
        assigned = self.consumer.assignment()
        for p in self.runtime.lost():
            tp = TopicPartition(self.topic, p)
            if tp in assigned:
                self.consumer.pause(tp)

    def _report_lag(self) -> None:
        for tp in self.consumer.assignment():
            highwater = self.consumer.last_stable_offset(tp)
            task = self.runtime.tasks.get(tp.partition)
            if highwater is not None and task is not None and task.committed is not None:
                metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(
                    highwater - task.committed)

    # ------------------------------------------------------------------ rebalances

    async def on_partitions_revoked(self, revoked) -> None:
        async with self.runtime.lock:  # waits for the job in hand
            self.runtime.revoke({tp.partition for tp in revoked})

    async def on_partitions_assigned(self, assigned) -> None:
        self.consumer.pause(*assigned)  # until each is restored (never read before that)
        try:
            async with self.runtime.lock:
                await self.runtime.assign({tp.partition for tp in assigned})
        except Exception as exc:  # aiokafka would only log it, and the partitions stall
            self.on_fatal(exc)
            raise
