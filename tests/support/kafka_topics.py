"""Kafka reads for assertions: whole topics, end offsets, a group's committed offsets.
Records are read as every casewatch reader reads them: committed transactions only."""

import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

COORDINATOR_WAIT = 60.0  # seconds a group's coordinator may take to come back (a restart)


def delete_topics_with_prefix(bootstrap: str, *prefixes: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        mine = [t for t in admin.list_topics() if t.startswith(prefixes)]
        if mine:
            admin.delete_topics(mine)
    finally:
        admin.close()


def partitions_of(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    deadline = time.monotonic() + 30
    while not (ids := consumer.partitions_for_topic(topic)):
        if time.monotonic() > deadline:
            raise AssertionError(f"topic {topic} does not exist")
        time.sleep(0.2)
    return [TopicPartition(topic, p) for p in sorted(ids)]


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             isolation_level="read_committed")
    try:
        tps = partitions_of(consumer, topic)
        return {tp.partition: off for tp, off in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offset per partition of `topic` (partitions it never
    committed are absent). Retried while the group's coordinator moves or loads, as it
    does for a while after a broker restart."""
    deadline = time.monotonic() + COORDINATOR_WAIT
    while True:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            offsets = admin.list_group_offsets({group: None}).get(group, {})
            break
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
        finally:
            admin.close()
        time.sleep(0.5)
    return {tp.partition: meta.offset for tp, meta in offsets.items()
            if tp.topic == topic and meta.offset >= 0}


def read_topic(bootstrap: str, topic: str, timeout: float = 120.0) -> list[ConsumerRecord]:
    """Every record of `topic` up to its end offsets at the call, in partition order."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             isolation_level="read_committed",
                             fetch_max_bytes=64 * 1024 * 1024,
                             max_partition_fetch_bytes=8 * 1024 * 1024)
    try:
        tps = partitions_of(consumer, topic)
        ends = consumer.end_offsets(tps)
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: dict[int, list[ConsumerRecord]] = {tp.partition: [] for tp in tps}
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end in {timeout} s")
            for tp, batch in consumer.poll(timeout_ms=500, max_records=10_000).items():
                records[tp.partition].extend(r for r in batch if r.offset < ends[tp])
        return [r for p in sorted(records) for r in records[p]]
    finally:
        consumer.close()
