"""Rule sets in operation: which rule set each partition is evaluated under, and changing it
while the worker runs, without losing state.

`casewatch rules apply DIR` (or a worker watching CASEWATCH_RULES_DIR) checks a rule set
whole, publishes it to the compacted `rules` topic keyed by its content hash, then appends a
marker record (header `casewatch-control: ruleset`) to every partition of `case-events`. A
partition switches where its marker is: records before it were evaluated under the old
rules, records after it under the new, whichever worker owns the partition and however
often it is restored, because the marker is part of the input. The partition remembers its
rule set in its changelog (the partition's own items: case id "", item `ruleset`) and
re-times every case it holds under the new rules in a sweep (item `sweep`: where it got
to), so a changed period or lead moves dues and levels, a removed rule withdraws its
warnings and a new rule raises its warnings over existing histories, with the same ids
where the obligation is the same.

Only the rule set published last on the `rules` topic is switched to: a marker naming
another (an old marker written again by someone who may write `case-events`) is
dead-lettered, and nobody but the operators may write `rules`.
"""

import logging
from datetime import UTC, datetime

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from rules.engine import Engine
from rules.ruleset import RuleSet, parse_ruleset
from schemas.ruleset_record import RulesetMarker, RulesetRecord
from streams import kafka_clients
from streams.kafka_clients import worker_consumer_config
from streams.settings import Settings

log = logging.getLogger(__name__)

CONTROL_HEADER = "casewatch-control"
RULESET = b"ruleset"
#: the partition's own items (the case id "" is never a case's: ids are 1-64 characters)
PARTITION_CASE, RULESET_ITEM, SWEEP_ITEM = "", "ruleset", "sweep"


def control_kind(record) -> bytes | None:
    """The control header of a `case-events` record, or None for an event."""
    for key, value in getattr(record, "headers", None) or ():
        if key == CONTROL_HEADER:
            return value
    return None


def parse_marker(value: bytes | None) -> RulesetMarker:
    return RulesetMarker.model_validate_json(value or b"")


def ruleset_record(files: dict[str, bytes], human: str | None, by: str) -> RulesetRecord:
    ruleset = parse_ruleset(files, human)  # checked whole before anything is published
    return RulesetRecord(content_hash=ruleset.content_hash, human_version=human,
                         files={n: b.decode("utf-8") for n, b in files.items()},
                         published_at=datetime.now(UTC), published_by=by)


def ruleset_of(record: RulesetRecord) -> RuleSet:
    return parse_ruleset({n: t.encode("utf-8") for n, t in record.files.items()},
                         record.human_version)


def publish_ruleset(settings: Settings, record: RulesetRecord) -> int:
    """Publish a rule set and a marker to every partition of `case-events`; return how many
    partitions were marked. Blocking (kafka-python)."""
    producer = kafka_clients.producer(settings, acks="all", enable_idempotence=True,
                                      client_id=f"{settings.app_id}-rules")
    try:
        producer.send(settings.topic("rules"), key=record.content_hash.encode(),
                      value=record.model_dump_json().encode()).get(timeout=30)
        source = settings.topic("case-events")
        partitions = sorted(producer.partitions_for(source))
        marker = RulesetMarker(content_hash=record.content_hash).model_dump_json().encode()
        for p in partitions:
            producer.send(source, value=marker, partition=p,
                          headers=[(CONTROL_HEADER, RULESET)]).get(timeout=30)
        return len(partitions)
    finally:
        producer.close()


class RulesetBook:
    """Every rule set published on the `rules` topic, and an engine for each, read up to
    the topic's end when asked."""

    def __init__(self, settings: Settings, default: Engine):
        self.settings = settings
        self.default = default  # the worker's own rules: a partition never switched
        self.records: dict[str, RulesetRecord] = {}
        self.latest: str | None = None  # content hash published last
        self._engines: dict[str, Engine] = {default.catalogue.version: default}
        self._position = 0

    async def refresh(self) -> None:
        tp = TopicPartition(self.settings.topic("rules"), 0)
        consumer = AIOKafkaConsumer(**worker_consumer_config(self.settings, group_id=None))
        await consumer.start()
        try:
            consumer.assign([tp])
            end = (await consumer.end_offsets([tp]))[tp]
            consumer.seek(tp, self._position)
            while self._position < end:
                batch = (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])
                for r in batch:
                    self._take(r.value)
                self._position = await consumer.position(tp)
        finally:
            await consumer.stop()

    def _take(self, value: bytes | None) -> None:
        try:
            record = RulesetRecord.model_validate_json(value or b"")
        except ValidationError as exc:
            log.error("unreadable record on the rules topic ignored: %s", exc)
            return
        self.records[record.content_hash] = record
        self.latest = record.content_hash

    def engine(self, content_hash: str) -> Engine:
        """The engine of a published rule set (KeyError if it was never published)."""
        for version, engine in self._engines.items():
            if content_hash in version:
                return engine
        engine = Engine.from_ruleset(ruleset_of(self.records[content_hash]))
        self._engines[engine.catalogue.version] = engine
        return engine


def marker_reasons(book: RulesetBook, marker: RulesetMarker) -> list[str]:
    """Why a marker cannot be followed (empty: it can)."""
    if marker.content_hash != book.latest:
        return [f"rule set {marker.content_hash} is not the one published last "
                f"({book.latest}): a marker may only switch to the latest rule set"]
    return []


def parse_cursor(value: bytes | None) -> str | None:
    """The sweep's position: the last case re-timed ("" before the first)."""
    return None if value is None else orjson.loads(value)["after"]
