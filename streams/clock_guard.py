"""Is this worker's clock right? Compared with the Kafka broker's, which every worker and
every partition's owner share.

Every `interval` seconds a tiny record goes to the `clock` topic, whose timestamps the
broker sets on append (LogAppendTime); the skew is the local time midway between the send
and its acknowledgement, minus the broker's append time (good to about half the round
trip). Rules and dues use the local clock: with a skew over the limit, a partition moving
to another worker could flip levels back and forth and deadlines would fire early or late,
so the worker holds its jobs (dues and source batches) until the clock is right again. A
probe that fails (the broker is away) keeps the last measurement.
"""

import logging
import time

from aiokafka import AIOKafkaProducer

from streams import metrics
from streams.kafka_clients import connection
from streams.settings import Settings

log = logging.getLogger(__name__)
LOG_APPEND_TIME = 1


class ClockGuard:
    def __init__(self, settings: Settings, interval: float = 5.0):
        self.topic = settings.topic("clock")
        self.key = settings.app_id.encode()
        self.max_skew = settings.max_clock_skew
        self.interval = interval
        self.skew: float | None = None  # seconds, local minus broker; None: not known yet
        self.probed_at = 0.0  # monotonic
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(**connection(self.settings), acks=1,
                                          client_id=f"{self.settings.app_id}-clock")
        await self._producer.start()
        await self.probe()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    @property
    def ok(self) -> bool:
        return self.skew is None or abs(self.skew) <= self.max_skew

    def due(self) -> bool:
        return time.monotonic() - self.probed_at >= self.interval

    async def probe(self) -> None:
        self.probed_at = time.monotonic()
        sent = time.time()
        try:
            meta = await self._producer.send_and_wait(self.topic, b"", key=self.key)
        except Exception as exc:  # the broker is away: keep what was measured last
            log.warning("clock probe failed: %r", exc)
            return
        acked = time.time()
        if meta.timestamp_type != LOG_APPEND_TIME:
            log.warning("topic %s does not stamp LogAppendTime: the clock is not checked",
                        self.topic)
            return
        was_ok = self.ok
        self.skew = (sent + acked) / 2 - meta.timestamp / 1000
        metrics.CLOCK_SKEW.set(self.skew)
        metrics.CLOCK_HELD.set(0 if self.ok else 1)
        if was_ok and not self.ok:
            log.error("this worker's clock is %.1f s off the broker's (limit %.1f s): jobs "
                      "are held until it is right", self.skew, self.max_skew)
        elif not was_ok and self.ok:
            log.warning("the clock is right again (%.1f s off): jobs go on", self.skew)
