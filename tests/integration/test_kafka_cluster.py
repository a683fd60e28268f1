"""Replication on the three-broker local Kafka (`deploy/stack start kafka-cluster`).

The worker's topics created with CASEWATCH_REPLICATION_FACTOR=3 and
CASEWATCH_MIN_INSYNC_REPLICAS=2 (streams.topics.ensure_topics) keep taking acks=all writes
and serving reads while one broker is killed mid-stream; the broker catches up when it
returns, and then serves what was written without it when another broker dies.
"""

import threading
import time
import uuid
from collections import Counter

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType

from streams.settings import Settings
from streams.topics import SINGLE_PARTITION, TOPICS, ensure_topics
from tests.support.kafka_cluster import NODES
from tests.support.kafka_topics import delete_topics_with_prefix


@pytest.fixture
def replicated(kafka_cluster):
    tag = uuid.uuid4().hex[:8]
    settings = Settings.from_env({
        "CASEWATCH_KAFKA_BOOTSTRAP": kafka_cluster.bootstrap,
        "CASEWATCH_TOPIC_PREFIX": f"rc{tag}.", "CASEWATCH_APP_ID": f"rc{tag}",
        "CASEWATCH_PARTITIONS": "4",
        "CASEWATCH_REPLICATION_FACTOR": "3", "CASEWATCH_MIN_INSYNC_REPLICAS": "2"})
    assert sorted(ensure_topics(settings)) == sorted(settings.topic(t) for t in TOPICS)
    yield settings
    kafka_cluster.start()  # deleting needs every replica's broker
    delete_topics_with_prefix(kafka_cluster.bootstrap, settings.topic_prefix)


def producer(cluster) -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=cluster.bootstrap, acks="all",
                         enable_idempotence=True, linger_ms=5, request_timeout_ms=10_000)


def read_all(cluster, topic: str, expected: int) -> Counter:
    """Every value of `topic` (read_committed, from the start), once `expected` are read or
    nothing more came for 15 s."""
    consumer = KafkaConsumer(topic, bootstrap_servers=cluster.bootstrap, group_id=None,
                             auto_offset_reset="earliest", isolation_level="read_committed",
                             consumer_timeout_ms=15_000)
    seen: Counter = Counter()
    try:
        for record in consumer:
            seen[record.value] += 1
            if sum(seen.values()) >= expected:
                break
    finally:
        consumer.close()
    return seen


def values(first: int, last: int) -> list[bytes]:
    return [f'{{"n": {i}}}'.encode() for i in range(first, last)]


def test_topics_are_replicated_three_times_with_min_insync_two(kafka_cluster, replicated):
    names = [replicated.topic(t) for t in TOPICS]
    states = kafka_cluster.partitions(*names)
    assert len(states) == sum(1 if t in SINGLE_PARTITION else 4 for t in TOPICS)
    assert {(len(s.replicas), len(s.isr)) for s in states.values()} == {(3, 3)}
    # the leaders are spread over the three brokers
    assert {s.leader for s in states.values()} == set(NODES)
    admin = kafka_cluster.admin()
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, ["min.insync.replicas"])
             for name in names])
    finally:
        admin.close()
    configs = {name: conf["min.insync.replicas"]["value"]
               for result in ([described] if isinstance(described, dict) else described)
               for name, conf in result["topic"].items()}
    assert configs == dict.fromkeys(names, "2")


def test_acks_all_writes_and_reads_go_on_with_a_broker_killed_and_it_catches_up(
        kafka_cluster, replicated):
    topic = replicated.topic("case-events")
    names = [replicated.topic(t) for t in TOPICS]
    victim = kafka_cluster.leader(topic, 0)
    survivors = set(NODES) - {victim}
    out = producer(kafka_cluster)
    futures, acked_at, sent_half = [], [], threading.Event()

    def stream():  # 3,000 writes, acks=all, keyed like events; the kill lands in the middle
        for i, value in enumerate(values(0, 3000)):
            future = out.send(topic, key=f"C{i % 97}".encode(), value=value)
            future.add_callback(lambda _: acked_at.append(time.monotonic()))
            futures.append(future)
            if i == 1000:
                out.flush()
                sent_half.set()
            elif i > 1000:
                time.sleep(0.003)  # the rest over 6 s or more, while the broker dies
        out.flush()

    writer = threading.Thread(target=stream)
    writer.start()
    assert sent_half.wait(120), "the first 1,000 writes were not acknowledged"
    kafka_cluster.kill(victim)
    killed = time.monotonic()
    writer.join(180)
    assert not writer.is_alive()
    errors = [f.exception for f in futures if f.failed()]
    assert (len(futures), errors) == (3000, [])
    assert sum(t > killed for t in acked_at) > 500, "the kill did not land mid-stream"

    # the dead broker left every ISR; two replicas in sync satisfy min.insync 2
    kafka_cluster.wait_isr(names, survivors)
    for value in values(3000, 3500):
        out.send(topic, key=b"C1", value=value).get(timeout=30)
    assert read_all(kafka_cluster, topic, 3500) == Counter(values(0, 3500))

    # back: it catches up and joins every ISR again
    kafka_cluster.start(victim)
    kafka_cluster.wait_isr(names, set(NODES))
    for value in values(3500, 4000):
        out.send(topic, key=b"C2", value=value)
    out.flush()
    out.close()

    # with another broker gone, the one that was away serves what was written without it
    other = min(survivors)
    kafka_cluster.kill(other)
    kafka_cluster.wait_isr(names, set(NODES) - {other})
    assert read_all(kafka_cluster, topic, 4000) == Counter(values(0, 4000))
