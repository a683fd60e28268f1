"""Kafka -> Sink: read the output topics, buffer rows, write them, commit what is durable.

`SinkConsumer` drives an aiokafka consumer (its own group, manual commits) and a Sink
(sinks/base.py). Guarantees:

- an offset is committed only after every row of every record up to it is written;
- a record that cannot be decoded is dead-lettered and skipped (its offset still counts);
  a row of a record that cannot be written (sinks.base.Rejected) is dead-lettered alone,
  and the record's other rows are written;
- while the sink cannot write (ClickHouse down) the batch is retried with backoff and the
  assigned partitions are paused: rows and offsets are kept, nothing is committed;
- a rebalance drops the buffered rows of revoked partitions (their new owner reads them
  again from the last commit) and assigned partitions start from their committed offsets;
  between a revocation and the next assignment nothing of those partitions is committed;
- a commit refused because of a rebalance is logged; the new owner re-reads the batch and
  the tables collapse the rows written twice.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from sinks import metrics
from sinks.base import Rejected, Sink
from sinks.decode import Decoder

log = logging.getLogger(__name__)

#: called with the record, the reason and the value to dead-letter (the record's own value,
#: or the JSON of the one row of it that cannot be written); must not return before the
#: dead letter is acknowledged
DeadLetter = Callable[[object, str, bytes | None], Awaitable[None]]


class SinkConsumer:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        sink: Sink,
        decoders: Mapping[str, Decoder],
        dead_letter: DeadLetter,
        *,
        max_records: int = 5000,
        max_backoff: float = 5.0,
        lag_interval: float = 5.0,
    ):
        self.consumer = consumer
        self.sink = sink
        self.decoders = dict(decoders)
        self.dead_letter = dead_letter
        self.max_records = max_records
        self.max_backoff = max_backoff
        self.lag_interval = lag_interval
        # Held by one write attempt and its commit, and by a revocation: a rebalance waits
        # for the write in flight, and never changes the buffer under it.
        self._lock = asyncio.Lock()
        self._rebalances = 0  # bumped on every revocation
        self._holding = False  # a write failed: partitions paused until one succeeds
        self._to_commit: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}  # by this consumer, while it owns them
        # Partitions assigned and not revoked since: only their positions are this consumer's
        # to commit (between a revocation and the next assignment the consumer still reports
        # the old positions, past rows the revocation dropped).
        self._owned: set[TopicPartition] = set()
        self._lag_shown: set[TopicPartition] = set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume until `stopping` is set; then write and commit once more if possible."""
        self.consumer.subscribe(list(self.decoders), listener=_Rebalance(self))
        lag = asyncio.create_task(self._report_lag(stopping))
        try:
            while not stopping.is_set():
                fetched = await self.consumer.getmany(
                    timeout_ms=200, max_records=self.max_records
                )
                await self._take(fetched)
                if self.sink.should_flush() or (not fetched and self.sink.pending()):
                    await self._write_until_done(stopping)
            if self.sink.pending():
                await self._attempt()  # one try on the way out; unwritten rows are re-read
        finally:
            lag.cancel()

    async def _take(self, fetched: dict) -> None:
        """Decode and buffer fetched records; never drops one of a partition still owned."""
        rebalances = self._rebalances
        for tp, records in fetched.items():
            decode = self.decoders[tp.topic]
            for record in records:
                if self._rebalances != rebalances:
                    # Revoked while we awaited a dead letter: the partitions (even those
                    # assigned again) restart from their committed offsets, which re-reads
                    # the rest of this fetch, so it must not be buffered twice.
                    return
                try:
                    decoded = decode(record.value, record.offset)
                except Exception as exc:  # an unreadable record must not stop the sink
                    metrics.SINK_DEAD_LETTERS.labels(tp.topic).inc()
                    log.error("unreadable record %s[%d]@%d dead-lettered: %s",
                              tp.topic, tp.partition, record.offset, exc)
                    await self.dead_letter(record, f"sink cannot read the record: {exc}",
                                           record.value)
                    decoded = []
                rows = []
                for item in decoded:
                    if isinstance(item, Rejected):
                        metrics.SINK_DEAD_LETTERS.labels(tp.topic).inc()
                        log.error("row of %s[%d]@%d dead-lettered: %s",
                                  tp.topic, tp.partition, record.offset, item.reason)
                        await self.dead_letter(record, item.reason, item.value)
                    else:
                        rows.append(item)
                self.sink.add(tp.topic, tp.partition, record.offset, rows)

    async def _write_until_done(self, stopping: asyncio.Event) -> None:
        """Write and commit; while writes fail, hold: partitions paused, retry with backoff.

        While holding we keep calling `getmany` (which also serves as the backoff sleep):
        aiokafka drops a member that does not poll within max_poll_interval_ms, and the
        outage may last longer than that. Paused partitions return nothing, partitions a
        rebalance assigns meanwhile are paused by the listener, and any record that still
        comes back is buffered like any other, never dropped.
        """
        delay = 0.2
        while not await self._attempt():
            if not self._holding:
                self._holding = True
                self.consumer.pause(*self.consumer.assignment())
            if stopping.is_set():
                return  # nothing committed: the rows are read again after a restart
            started = time.monotonic()
            await self._take(await self.consumer.getmany(
                timeout_ms=int(delay * 1000), max_records=self.max_records))
            await asyncio.sleep(max(0.0, delay - (time.monotonic() - started)))
            delay = min(delay * 2, self.max_backoff)
        if self._holding:
            self._holding = False
            self.consumer.resume(*self.consumer.paused())

    async def _attempt(self) -> bool:
        """One write of everything buffered, then its commit; False if the write failed."""
        async with self._lock:
            started = time.monotonic()
            try:
                durable = await asyncio.get_running_loop().run_in_executor(None, self.sink.flush)
            except Exception as exc:  # ClickHouse down or refusing: the sink kept everything
                metrics.SINK_FAILURES.inc()
                log.warning("sink write failed, holding and retrying: %s", exc)
                return False
            metrics.SINK_BATCH_SECONDS.observe(time.monotonic() - started)
            for (topic, partition), offset in durable.items():
                tp = TopicPartition(topic, partition)
                self._to_commit[tp] = max(offset + 1, self._to_commit.get(tp, 0))
            await self._past_markers()
            await self._commit()
            return True

    async def _past_markers(self) -> None:
        """Every record taken so far is durable now: commit each partition's position, which
        is past the transaction markers after its last record (the worker writes in
        transactions), so that a partition read to its end shows no lag."""
        for tp in self._owned & self.consumer.assignment():
            position = await self.consumer.position(tp)
            if position > max(self._to_commit.get(tp, 0), self._committed.get(tp, 0)):
                self._to_commit[tp] = position

    async def _commit(self) -> None:
        offsets, self._to_commit = self._to_commit, {}
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
            self._committed.update(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The group rebalanced: the partitions may be another member's now, which reads
            # them again from the last commit; rows written twice collapse by key.
            log.warning("commit after a rebalance refused, the batch will be re-read: %s", exc)
        except KafkaError as exc:  # e.g. the broker gone: commit these with the next batch
            log.warning("commit failed, retried with the next batch: %s", exc)
            for tp, offset in offsets.items():
                self._to_commit[tp] = max(offset, self._to_commit.get(tp, 0))

    async def on_revoked(self, revoked) -> None:
        async with self._lock:
            self._rebalances += 1
            self.sink.revoke(revoked)
            self._owned.difference_update(revoked)
            for tp in revoked:
                self._to_commit.pop(tp, None)
                self._committed.pop(tp, None)
                if tp in self._lag_shown:
                    self._lag_shown.discard(tp)
                    metrics.SINK_LAG.remove(tp.topic, str(tp.partition))

    def on_assigned(self, assigned) -> None:
        # aiokafka starts each assigned partition at its committed offset.
        self._owned.update(assigned)
        if self._holding and assigned:
            self.consumer.pause(*assigned)

    async def _report_lag(self, stopping: asyncio.Event) -> None:
        """casewatch_sink_lag_messages = end offset - committed offset, per assigned partition."""
        while not stopping.is_set():
            try:
                tps = list(self.consumer.assignment())
                if tps:
                    ends = await self.consumer.end_offsets(tps)
                    for tp in tps:
                        committed = await self.consumer.committed(tp) or 0  # None: nothing yet
                        if tp in self.consumer.assignment():
                            self._lag_shown.add(tp)
                            metrics.SINK_LAG.labels(tp.topic, str(tp.partition)).set(
                                max(0, ends[tp] - committed))
            except Exception as exc:  # Kafka unreachable or a rebalance: try again later
                log.debug("lag not measured: %s", exc)
            await asyncio.sleep(self.lag_interval)


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, owner: SinkConsumer):
        self.owner = owner

    async def on_partitions_revoked(self, revoked):
        await self.owner.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned):
        self.owner.on_assigned(assigned)
