"""Replication on the three-broker local Kafka (`deploy/stack start kafka-cluster`).

The worker's topics created with CASEWATCH_REPLICATION_FACTOR=3 and
CASEWATCH_MIN_INSYNC_REPLICAS=2 (streams.topics.ensure_topics) are replicated on all three
brokers, their leaders spread. The worker's loss of a broker mid-stream is
tests/integration/test_core_faults.py's.
"""

import uuid

import pytest
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
