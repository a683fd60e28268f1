"""Closed months on the topic `<prefix>month-closures` (key = month, never deleted), and
the sink's committed offsets a closure records.

The first closure of a month is the one that counts: `find` returns the earliest record of
its key, so a second write (which `casewatch report --close` refuses anyway) changes
nothing. kafka-python clients with the usual connection settings (streams/kafka_clients.py).
"""

import logging

from kafka import TopicPartition
from pydantic import ValidationError

from report.closure import CLOSURE, Closure
from streams import kafka_clients
from streams.settings import Settings

log = logging.getLogger(__name__)


class ClosureStore:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.topic = settings.topic("month-closures")

    def find(self, month: str) -> Closure | None:
        """The month's closure, or None if it was never closed."""
        consumer = kafka_clients.consumer(self.settings, group_id=None, enable_auto_commit=False,
                                          consumer_timeout_ms=2000)
        try:
            tps = [TopicPartition(self.topic, p)
                   for p in consumer.partitions_for_topic(self.topic) or ()]
            if not tps:
                return None
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            ends = consumer.end_offsets(tps)
            first: Closure | None = None
            while any(consumer.position(tp) < ends[tp] for tp in tps):
                for records in consumer.poll(timeout_ms=500).values():
                    for m in records:
                        if m.key != month.encode():
                            continue
                        try:
                            closure = CLOSURE.validate_json(m.value)
                        except ValidationError as exc:
                            log.warning("unreadable month closure at offset %d: %s", m.offset,
                                        exc)
                            continue
                        if first is None or closure.closed_at < first.closed_at:
                            first = closure
            return first
        finally:
            consumer.close()

    def save(self, closure: Closure) -> None:
        producer = kafka_clients.producer(self.settings, acks="all", max_block_ms=10_000)
        try:
            producer.send(self.topic, key=closure.month.encode(),
                          value=CLOSURE.dump_json(closure)).get(timeout=30)
        finally:
            producer.close()

    def sink_offsets(self) -> dict[str, dict[int, int]]:
        """What the sink has written to ClickHouse: its group's committed offsets."""
        group = f"{self.settings.app_id}-sink"
        admin = kafka_clients.admin(self.settings, f"{self.settings.app_id}-report")
        try:
            offsets = admin.list_group_offsets({group: None}).get(group, {})
        finally:
            admin.close()
        out: dict[str, dict[int, int]] = {}
        for tp, meta in offsets.items():
            if meta.offset >= 0:
                out.setdefault(tp.topic, {})[tp.partition] = meta.offset
        return out
