"""The source: batches of case events read with aiokafka `getmany` and committed by hand.

The consumer belongs to the group `<app_id>`. Faust's own consumer is not used (see
streams/app.py): its recovery resumed partitions before seeking them after a rebalance
(faust-streaming/faust#596) and its offset tracking could commit past an unprocessed
record (#606). Here a partition's position is only ever the group's committed offset,
an offset is committed only after everything derived from the records before it is
acknowledged (streams/runtime.py), and rebalances wait for the job in hand.
"""

import logging
import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from streams import metrics
from streams.kafka_clients import worker_consumer_config
from streams.runtime import Runtime
from streams.work import Job

log = logging.getLogger(__name__)

Submit = Callable[[Job], Awaitable[dict[tuple[str, int], int]]]


class Source(ConsumerRebalanceListener):
    def __init__(self, runtime: Runtime, submit: Submit,
                 on_fatal: Callable[[BaseException], None]):
        self.runtime = runtime
        self.submit = submit
        self.on_fatal = on_fatal  # stops the worker without committing
        self.topic = runtime.settings.topic("case-events")
        self.consumer: AIOKafkaConsumer | None = None
        self.committed: dict[TopicPartition, int] = {}

    async def run(self) -> None:
        settings = self.runtime.settings
        self.consumer = AIOKafkaConsumer(
            **worker_consumer_config(settings, group_id=settings.app_id))
        self.consumer.subscribe([self.topic], listener=self)
        await self.consumer.start()
        try:
            while True:
                batches = await self.consumer.getmany(
                    timeout_ms=100, max_records=settings.batch_max_records)
                records = [r for part in batches.values() for r in part]
                if records:
                    await self._process(records)
                self._report_lag()
        finally:
            await self.consumer.stop()

    async def _process(self, records: list) -> None:
        started = time.monotonic()
        async with self.runtime.lock:
            offsets = await self.submit(Job(records=records))
            owned = {TopicPartition(t, p): o for (t, p), o in offsets.items()
                     if self.runtime.owns(p)}
            try:
                await self.consumer.commit(owned)
                self.committed.update(owned)
            except (CommitFailedError, IllegalStateError) as exc:
                # a rebalance took the partitions: the new owner reads them again, and its
                # state (the changelog) marks them as redeliveries to republish
                log.warning("commit after a rebalance failed: %s", exc)
        metrics.BATCH_SECONDS.observe(time.monotonic() - started)

    def _report_lag(self) -> None:
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            committed = self.committed.get(tp)
            if highwater is not None and committed is not None:
                metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(
                    highwater - committed)

    # ------------------------------------------------------------------ rebalances

    async def on_partitions_revoked(self, revoked) -> None:
        async with self.runtime.lock:
            self.runtime.ready = False
            self.runtime.release({tp.partition for tp in revoked})
            for tp in revoked:
                self.committed.pop(tp, None)

    async def on_partitions_assigned(self, assigned) -> None:
        async with self.runtime.lock:
            try:
                await self.runtime.acquire({tp.partition for tp in assigned})
            except Exception as exc:  # aiokafka would only log it, and the partitions stall
                self.on_fatal(exc)
                raise
            for tp in assigned:
                committed = await self.consumer.committed(tp)
                if committed is not None:
                    self.committed[tp] = committed
            self.runtime.ready = True
