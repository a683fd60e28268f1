"""One input partition's transactional producer: a job's outputs for that partition — its
changelog, warnings, rows, dead letters, forwarded records — and its source offset are
committed together, or not at all.

This is Kafka Streams' exactly-once as it was before KIP-447: the producer's
`transactional.id` is `<app_id>-<partition>`, so the next owner of the partition, starting
its producer, fences this one (its next transaction fails with ProducerFenced); readers
of every output read committed records only. A worker paused past its session timeout can
therefore no longer write for a partition it lost.

Messages are appended to one record batch per topic-partition (aiokafka's `create_batch` /
`send_batch`): a keyed message goes to the partition Kafka's default partitioner picks
(murmur2 of the key, as Java clients do), so a case's messages keep their partition and
order. A failed transaction is aborted and tried again whole, up to `retries` times; then
the error is raised and the worker stops (nothing of the job became visible).
"""

import asyncio
import logging

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    InvalidProducerEpoch,
    ProducerFenced,
    TransactionalIdAuthorizationFailed,
)
from aiokafka.partitioner import DefaultPartitioner

from streams import metrics
from streams.kafka_clients import worker_producer_config
from streams.settings import Settings
from streams.work import Send

log = logging.getLogger(__name__)

_FENCED = (ProducerFenced, InvalidProducerEpoch, TransactionalIdAuthorizationFailed)


class Fenced(Exception):
    """Another worker has taken the partition: this one must stop writing for it."""


class OutputsFailed(RuntimeError):
    pass


#: seconds a transaction (its sends, offsets and commit) may take before the worker stops.
#: aiokafka's sender routine can die on a connection error while it looks up the
#: transaction coordinator (seen when the broker restarts): every later commit then waits
#: for ever, and a worker that waits for ever is worse than one that stops and restarts.
TRANSACTION_TIMEOUT = 60.0


def transactional_id(settings: Settings, partition: int) -> str:
    return f"{settings.app_id}-{partition}"


class PartitionProducer:
    def __init__(self, settings: Settings, partition: int, backoff: float = 0.5,
                 max_backoff: float = 10.0, timeout: float = TRANSACTION_TIMEOUT):
        self.settings = settings
        self.partition = partition
        self.timeout = timeout
        self.retries = settings.send_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.producer = AIOKafkaProducer(
            **worker_producer_config(settings),
            transactional_id=transactional_id(settings, partition))
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[str, list[int]] = {}

    async def start(self) -> None:
        """Start, fencing every earlier producer of the partition (init_transactions)."""
        await self.producer.start()

    async def stop(self) -> None:
        try:
            await self.producer.stop()
        except Exception as exc:  # a fenced producer may fail to close cleanly
            log.info("producer of partition %d stopped with %r", self.partition, exc)

    async def commit(self, sends: list[Send], offsets: dict[TopicPartition, int] | None,
                     group_id: str) -> list[tuple[int, int]]:
        """(partition, offset) of every message, in order, once the transaction with them
        and `offsets` (committed for `group_id`) is committed."""
        delay, attempt = self.backoff, 0
        while True:
            try:
                return await asyncio.wait_for(self._transaction(sends, offsets, group_id),
                                              self.timeout)
            except _FENCED as exc:
                raise Fenced(f"partition {self.partition}: {exc}") from exc
            except TimeoutError as exc:  # the producer is stuck: nothing it says is trusted
                raise OutputsFailed(
                    f"partition {self.partition}: a transaction of {len(sends)} messages did "
                    f"not end within {self.timeout:g} s") from exc
            except Exception as exc:
                metrics.SEND_FAILURES.inc()
                self._partitions.clear()  # the topics' partitions are looked up again
                await self._abort(exc)
                if attempt == self.retries:
                    raise OutputsFailed(f"{len(sends)} messages not committed after "
                                        f"{attempt + 1} tries: {exc!r}") from exc
                log.warning("transaction of %d messages failed (%r), retry %d in %.1f s",
                            len(sends), exc, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay, attempt = min(delay * 2, self.max_backoff), attempt + 1

    async def _abort(self, cause: Exception) -> None:
        try:
            await asyncio.wait_for(self.producer.abort_transaction(), self.timeout)
        except _FENCED as exc:
            raise Fenced(f"partition {self.partition}: {exc}") from exc
        except Exception as exc:
            raise OutputsFailed(f"a failed transaction ({cause!r}) could not be aborted: "
                                f"{exc!r}") from exc

    async def _transaction(self, sends: list[Send], offsets: dict[TopicPartition, int] | None,
                           group_id: str) -> list[tuple[int, int]]:
        await self.producer.begin_transaction()
        sent: list[tuple[asyncio.Future, int, list[int]]] = []
        try:
            await self._append(sends, sent)
            if offsets:
                await self.producer.send_offsets_to_transaction(offsets, group_id)
            await self.producer.commit_transaction()
            out: list[tuple[int, int]] = [(0, 0)] * len(sends)
            for ack, partition, members in sent:
                base = (await ack).offset
                for n, i in enumerate(members):
                    out[i] = (partition, base + n)
            return out
        finally:
            for ack, _, _ in sent:  # a failed batch's error is the transaction's: seen
                ack.add_done_callback(_retrieve)

    async def _append(self, sends: list[Send],
                      sent: list[tuple[asyncio.Future, int, list[int]]]) -> None:
        open_batches: dict[tuple[str, int], tuple[object, list[int]]] = {}

        async def close(topic: str, partition: int) -> None:
            batch, members = open_batches.pop((topic, partition))
            ack = await self.producer.send_batch(batch, topic, partition=partition)
            sent.append((ack, partition, members))

        for i, s in enumerate(sends):
            partition = s.partition if s.partition is not None else await self._partition(s)
            where = (s.topic, partition)
            for _ in range(2):
                if where not in open_batches:
                    open_batches[where] = (self.producer.create_batch(), [])
                batch, members = open_batches[where]
                if batch.append(key=s.key, value=s.value, timestamp=None) is not None:
                    members.append(i)
                    break
                if not members:
                    raise ValueError(f"a message of {len(s.value or b'')} bytes does not fit "
                                     "a batch")
                await close(*where)  # full: send it, open another
        for where in list(open_batches):
            await close(*where)

    async def _partition(self, s: Send) -> int:
        partitions = self._partitions.get(s.topic)
        if partitions is None:
            partitions = sorted(await self.producer.partitions_for(s.topic))
            self._partitions[s.topic] = partitions
        return self._partitioner(s.key, partitions, partitions)


def _retrieve(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()
