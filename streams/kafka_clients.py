"""Kafka clients' settings, all made here: the one place where connection options
(bootstrap servers, and the security settings when they are configured) are set. The
keyword arguments of `connection` serve kafka-python and aiokafka clients alike."""

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from streams.kafka_auth import kafka_python_kwargs
from streams.settings import Settings


def connection(settings: Settings) -> dict[str, object]:
    """Keyword arguments every kafka-python client of casewatch connects with."""
    return {"bootstrap_servers": settings.kafka_bootstrap, **kafka_python_kwargs(settings)}


def admin(settings: Settings, client_id: str, **options) -> KafkaAdminClient:
    return KafkaAdminClient(**connection(settings), client_id=client_id, **options)


def consumer(settings: Settings, *topics: str, **options) -> KafkaConsumer:
    return KafkaConsumer(*topics, **connection(settings), **options)


def producer(settings: Settings, **options) -> KafkaProducer:
    return KafkaProducer(**connection(settings), **options)


MAX_FETCH_BYTES = 8 * 1024 * 1024
MAX_BATCH_BYTES = 1024 * 1024


def worker_consumer_config(settings: Settings, group_id: str | None) -> dict:
    """The worker's aiokafka consumer: committed records only (every casewatch topic is
    written in transactions), offsets committed by the worker's transactions, every
    compression codec Kafka has.

    Timeouts: a job hands the event loop back at least every few tens of milliseconds, so
    heartbeats (every second) never wait for one; a member silent for 10 s is out of the
    group. A rebalance waits for the job in hand (`rebalance_timeout_ms`): the longest job
    measured is far below it (docs/benchmarks.md).
    """
    return {
        **connection(settings),
        "client_id": settings.app_id,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "max_partition_fetch_bytes": MAX_FETCH_BYTES,
        "fetch_max_bytes": 4 * MAX_FETCH_BYTES,
        "session_timeout_ms": 10_000,
        "heartbeat_interval_ms": 1_000,
        "rebalance_timeout_ms": 60_000,
    }


def worker_producer_config(settings: Settings) -> dict:
    """The worker's aiokafka producers, idempotent: acknowledged by every in-sync replica,
    no duplicates or reordering from their own retries. Batches stay within 1 MiB, the
    message limit every casewatch output topic is created with (streams/topics.py)."""
    return {
        **connection(settings),
        "client_id": settings.app_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_batch_size": MAX_BATCH_BYTES,
        "max_request_size": 2 * 1024 * 1024,
    }
