"""The local stack (deploy/stack) answers as the rest of the suite expects.

``stack`` is the session fixture from tests/integration/conftest.py.
"""

from __future__ import annotations

import time
import uuid

from clickhouse_driver import Client
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic


def test_kafka_round_trip(stack) -> None:
    topic = f"scratch.stack-test.{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    try:
        producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
        producer.send(topic, key=b"case-1", value=b'{"hello": "kafka"}').get(timeout=30)
        producer.close()

        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=stack.bootstrap,
            group_id=f"stack-test-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            consumer_timeout_ms=30_000,
        )
        records = []
        for record in consumer:
            records.append(record)
            break
        consumer.close()
        assert [(r.key, r.value) for r in records] == [(b"case-1", b'{"hello": "kafka"}')]
    finally:
        admin.delete_topics([topic])
        admin.close()


def test_casewatch_topics_exist(stack) -> None:
    names = ("case-events", "case-events.dlq", "warnings", "case-state", "warning-actions")
    consumer = KafkaConsumer(bootstrap_servers=stack.bootstrap)
    try:
        partitions = {stack.topic(n): consumer.partitions_for_topic(stack.topic(n)) for n in names}
    finally:
        consumer.close()
    assert partitions == {stack.topic(n): {0, 1, 2, 3} for n in names}


def test_clickhouse_answers(stack) -> None:
    client = Client(host=stack.clickhouse_host, port=stack.clickhouse_port)
    try:
        assert client.execute("SELECT 1") == [(1,)]
        ((version,),) = client.execute("SELECT version()")
    finally:
        client.disconnect()
    assert version.split(".")[0].isdigit()


def test_start_twice_is_harmless(stack) -> None:
    t0 = time.monotonic()
    stack.run("start", timeout=60)  # raises unless it exits 0
    assert time.monotonic() - t0 < 20
    assert stack.is_healthy("kafka")
    assert stack.is_healthy("clickhouse")
    client = Client(host=stack.clickhouse_host, port=stack.clickhouse_port)
    assert client.execute("SELECT 1") == [(1,)]
    client.disconnect()
