"""Send a job's messages and wait until Kafka has them all, or fail without a commit.

A failed send is retried with the whole job's messages, in order, so the last message of
a warning on its topic is always its latest state (copies are idempotent downstream).
After `retries` failed rounds the error is raised: the worker stops without committing,
and the job's input is read again after a restart. A Kafka error never dead-letters a
valid event.
"""

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

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

    async def send_all(self, sends: list[Send]) -> list[RecordMetadata]:
        delay, attempt = self.backoff, 0
        while True:
            try:
                futures = [await self.producer.send(s.topic, s.value, key=s.key,
                                                    partition=s.partition) for s in sends]
                return list(await asyncio.gather(*futures))
            except Exception as exc:  # any producer error: retry the whole job, then stop
                metrics.SEND_FAILURES.inc()
                if attempt == self.retries:
                    raise OutputsFailed(f"{len(sends)} messages not acknowledged after "
                                        f"{attempt + 1} tries: {exc!r}") from exc
                log.warning("sending %d messages failed (%r), retry %d in %.1f s",
                            len(sends), exc, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay, attempt = min(delay * 2, self.max_backoff), attempt + 1
