"""Fill the open set and keep it current: ClickHouse snapshot, then the topics live.

Start-up, with no gap and nothing lost across restarts:
1. read the committed offsets of the sink's consumer group on the warnings topic: every
   record before them is already in ClickHouse;
2. load the latest state of every open warning from `warning_history` (argMax);
3. read the warnings topic from those offsets (from the start of a partition the group
   has not committed), replaying over the snapshot: records are per-case ordered and
   carry the whole state, so replaying records already in the snapshot converges;
4. read the warning-actions topic from the beginning (human-made, small);
5. once both are read to the end offsets seen at start, serve; then follow live.
"""

import asyncio
import logging
import time
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from kafka import KafkaConsumer
from pydantic import ValidationError

from schemas.timefmt import CST, format_cst
from schemas.warning import Warning
from schemas.warning_action import WarningAction
from streams import kafka_clients
from streams.settings import Settings
from web.open_set import WARNING, Item, OpenSet
from web.queries import LATEST_COLUMNS, open_snapshot
from web.reader import Reader

log = logging.getLogger(__name__)


def iso(value) -> str | None:
    """A ClickHouse DateTime('Asia/Shanghai') value as RFC 3339 with offset."""
    if value is None:
        return None
    if isinstance(value, str):  # chDB returns text in the column's time zone
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=CST)
    return format_cst(value)


def item_from_row(row: tuple) -> Item:
    d = dict(zip(LATEST_COLUMNS, row, strict=True))
    return Item(
        id=d["warning_id"], rule_id=d["rule_id"], level=d["level"],
        status=d["status"], case_id=d["case_id"], person_id=d["person_id"] or None,
        unit_id=d["unit_id"], due_at=iso(d["due_at"]), changed_at=iso(d["changed_at"]),
        message_zh=d["message_zh"], message_en=d["message_en"],
        evidence=tuple(d["evidence"]), late=None if d["late"] is None else bool(d["late"]),
        rule_kind=d["rule_kind"],
    )


def partitions_of(settings: Settings, topic: str) -> set[int]:
    consumer = KafkaConsumer(**kafka_clients.connection(settings), group_id=None,
                             enable_auto_commit=False, isolation_level="read_committed")
    try:
        return consumer.partitions_for_topic(topic) or set()
    finally:
        consumer.close()


async def committed_offsets(settings: Settings, group: str, topic: str,
                            partitions: set[int]) -> dict[int, int]:
    """The group's committed offsets on `topic` (read only: the consumer joins nothing)."""
    consumer = AIOKafkaConsumer(**kafka_clients.connection(settings), group_id=group,
                                enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    try:
        out = {}
        for p in partitions:
            offset = await consumer.committed(TopicPartition(topic, p))
            if offset is not None and offset >= 0:
                out[p] = offset
        return out
    finally:
        await consumer.stop()


class TopicFollower:
    """The loop the console's feeds share: a group-less consumer whose records `apply`
    takes, followed until stopped (web/problem_feed.py is the other)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.consumer: AIOKafkaConsumer | None = None
        self.bad_records = 0
        self.last_read = time.monotonic()  # the last fetch that answered (records or not)
        self.error: str | None = None  # why the last fetch failed, until one succeeds

    async def _reached(self, ends: dict[TopicPartition, int]) -> bool:
        for tp, end in ends.items():
            if await self.consumer.position(tp) < end:
                return False
        return True

    async def _partitions(self, topic: str) -> set[int]:
        parts = await asyncio.get_running_loop().run_in_executor(
            None, partitions_of, self.settings, topic)
        if not parts:
            raise RuntimeError(f"topic {topic} not found")
        return parts

    async def follow(self) -> None:
        """Follow both topics for ever: any failure is logged, shown in the status (and
        so in every page's banner) and retried with backoff; it never ends silently."""
        delay = 1.0
        while True:
            try:
                await self._poll(timeout_ms=1000)
                self.last_read, self.error, delay = time.monotonic(), None, 1.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  Kafka errors and anything unexpected
                self.error = f"{type(exc).__name__}: {exc}"[:300]
                log.log(logging.WARNING if isinstance(exc, KafkaError) else logging.ERROR,
                        "reading the topics failed, retrying in %.0f s: %s", delay, self.error,
                        exc_info=not isinstance(exc, KafkaError))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def age(self) -> float:
        """Seconds since the topics last answered."""
        return time.monotonic() - self.last_read

    async def _poll(self, timeout_ms: int) -> int:
        batches = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=5000)
        n = 0
        for tp, records in batches.items():
            for m in records:
                n += 1
                self.apply(tp.topic, m.value)
        return n

    def apply(self, topic: str, value: bytes | None) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None


class Feed(TopicFollower):
    def __init__(self, settings: Settings, snapshot_group: str, reader: Reader,
                 open_set: OpenSet):
        super().__init__(settings)
        self.group = snapshot_group
        self.reader = reader
        self.open_set = open_set
        self.warnings_topic = settings.topic("warnings")
        self.actions_topic = settings.topic("warning-actions")

    async def load(self) -> None:
        """Steps 1-5 above; returns once the open set is current."""
        started = time.monotonic()
        self.open_set.clear(WARNING)
        self.consumer = AIOKafkaConsumer(
            **kafka_clients.connection(self.settings), group_id=None,
            enable_auto_commit=False, fetch_max_wait_ms=50, auto_offset_reset="earliest",
            isolation_level="read_committed")
        await self.consumer.start()
        parts = {t: await self._partitions(t) for t in (self.warnings_topic, self.actions_topic)}
        positions = await committed_offsets(self.settings, self.group,
                                            self.warnings_topic, parts[self.warnings_topic])
        rows = await self.reader.execute(open_snapshot(self.reader.db))
        for row in rows:
            self.open_set.apply_item(item_from_row(row))
        tps = [TopicPartition(t, p) for t, ps in parts.items() for p in ps]
        self.consumer.assign(tps)
        for tp in tps:
            if tp.topic == self.warnings_topic and tp.partition in positions:
                self.consumer.seek(tp, positions[tp.partition])
            else:
                await self.consumer.seek_to_beginning(tp)
        ends = await self.consumer.end_offsets(tps)
        replayed = 0
        while not await self._reached(ends):
            replayed += await self._poll(timeout_ms=200)
        log.info("open set loaded: %d from ClickHouse, %d records replayed, %d open, "
                 "%.1f s", len(rows), replayed, len(self.open_set.items),
                 time.monotonic() - started)

    def apply(self, topic: str, value: bytes | None) -> None:
        try:
            if topic == self.warnings_topic:
                self.open_set.apply_item(Item.from_warning(Warning.model_validate_json(value)))
            else:
                self.open_set.apply_action(WarningAction.model_validate_json(value))
        except (ValidationError, ValueError, TypeError) as exc:
            self.bad_records += 1
            log.warning("unreadable record on %s skipped: %s", topic, exc)
