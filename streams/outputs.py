"""Send a job's messages and wait until Kafka has them all, or fail without a commit.

Messages are appended to one record batch per topic-partition (aiokafka's `create_batch` /
`send_batch`): a keyed message goes to the partition Kafka's default partitioner picks
(murmur2 of the key, as every Kafka client does), so a case's messages keep their
partition and their order. This costs about half of one `send()` per message.

A failed round is retried with the whole job's messages, in order, so the last message of
a warning on its topic is always its latest state (copies are idempotent downstream).
After `retries` failed rounds the error is raised: the worker stops without committing,
and the job's input is read again after a restart. A Kafka error never dead-letters a
valid event.
"""

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from streams import metrics
from streams.work import Send

log = logging.getLogger(__name__)


class OutputsFailed(RuntimeError):
    pass


class Outputs:
    def __init__(self, producer: AIOKafkaProducer, retries: int, backoff: float = 0.5,
                 max_backoff: float = 10.0):
        self.producer = producer
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[str, list[int]] = {}

    async def send_all(self, sends: list[Send]) -> list[tuple[int, int]]:
        """(partition, offset) of every message, in order, once all are acknowledged."""
        delay, attempt = self.backoff, 0
        while True:
            try:
                return await self._round(sends)
            except Exception as exc:  # any producer error: retry the whole job, then stop
                metrics.SEND_FAILURES.inc()
                self._partitions.clear()  # the topics' partitions are looked up again
                if attempt == self.retries:
                    raise OutputsFailed(f"{len(sends)} messages not acknowledged after "
                                        f"{attempt + 1} tries: {exc!r}") from exc
                log.warning("sending %d messages failed (%r), retry %d in %.1f s",
                            len(sends), exc, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay, attempt = min(delay * 2, self.max_backoff), attempt + 1

    async def _round(self, sends: list[Send]) -> list[tuple[int, int]]:
        open_batches: dict[tuple[str, int], tuple[object, list[int]]] = {}
        sent: list[tuple[asyncio.Future, int, list[int]]] = []  # (ack, partition, sends)

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
                    raise ValueError(f"a message of {len(s.value)} bytes does not fit a batch")
                await close(*where)  # full: send it, open another
        for where in list(open_batches):
            await close(*where)
        out: list[tuple[int, int]] = [(0, 0)] * len(sends)
        for ack, partition, members in sent:
            base = (await ack).offset
            for n, i in enumerate(members):
                out[i] = (partition, base + n)
        return out

    async def _partition(self, s: Send) -> int:
        partitions = self._partitions.get(s.topic)
        if partitions is None:
            partitions = sorted(await self.producer.partitions_for(s.topic))
            self._partitions[s.topic] = partitions
        return self._partitioner(s.key, partitions, partitions)
