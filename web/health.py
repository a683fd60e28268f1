"""How current the console is, for `/healthz`, the heartbeat of every live stream and the
banner every page shows when something is behind or down.

- state: `starting` until the open set is loaded (pages answer 503 "正在启动" meanwhile),
  then `ok` or `degraded`;
- kafka: `down` when the live follower has not read for FEED_STALE seconds or failed;
- clickhouse: `down` when the last probe failed, `behind` when the sink's group lags the
  warnings topic by more than LAG_BEHIND messages;
- pipeline: `behind` when the worker's group lags its input by more than LAG_BEHIND.
"""

import asyncio
import logging

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from streams import kafka_clients
from streams.settings import Settings

log = logging.getLogger(__name__)
FEED_STALE = 10.0  # seconds without an answer from the topics
LAG_BEHIND = 1000  # messages
PROBE_SECONDS = 10.0


def group_lag(settings: Settings, group: str, topic: str) -> int:
    """Messages of `topic` the group has not committed yet."""
    admin = KafkaAdminClient(**kafka_clients.connection(settings))
    consumer = KafkaConsumer(**kafka_clients.connection(settings), group_id=None,
                             isolation_level="read_committed")
    try:
        committed = admin.list_consumer_group_offsets(group)
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(parts)
        return sum(max(0, end - (committed[tp].offset if tp in committed else 0))
                   for tp, end in ends.items())
    finally:
        consumer.close()
        admin.close()


class Health:
    def __init__(self, settings: Settings, reader, feed_age, feed_error, snapshot_group: str):
        self.settings = settings
        self.reader = reader
        self.feed_age = feed_age  # () -> seconds since the topics last answered
        self.feed_error = feed_error  # () -> str | None
        self.snapshot_group = snapshot_group
        self.loaded = False
        self.clickhouse_error: str | None = None
        self.sink_lag: int | None = None
        self.worker_lag: int | None = None

    def status(self) -> dict:
        if not self.loaded:
            return {"state": "starting"}
        age = self.feed_age()
        kafka = "down" if self.feed_error() or age > FEED_STALE else "ok"
        clickhouse = ("down" if self.clickhouse_error else
                      "behind" if (self.sink_lag or 0) > LAG_BEHIND else "ok")
        pipeline = "behind" if (self.worker_lag or 0) > LAG_BEHIND else "ok"
        ok = kafka == clickhouse == pipeline == "ok"
        return {"state": "ok" if ok else "degraded", "kafka": kafka, "clickhouse": clickhouse,
                "pipeline": pipeline, "feed_age_s": round(age, 1),
                "sink_lag": self.sink_lag, "worker_lag": self.worker_lag}

    async def watch(self) -> None:
        """Probe ClickHouse and the groups' lag every PROBE_SECONDS."""
        loop = asyncio.get_running_loop()
        s = self.settings
        while True:
            try:
                await self.reader.execute("SELECT 1")
                self.clickhouse_error = None
            except Exception as exc:  # noqa: BLE001  down, refusing, timing out
                self.clickhouse_error = str(exc)[:200]
            try:
                self.sink_lag = await loop.run_in_executor(
                    None, group_lag, s, self.snapshot_group, s.topic("warnings"))
                self.worker_lag = await loop.run_in_executor(
                    None, group_lag, s, s.app_id, s.topic("case-events"))
            except Exception as exc:  # noqa: BLE001  Kafka away: the follower says so
                log.debug("lag not measured: %s", exc)
            await asyncio.sleep(PROBE_SECONDS)
