"""Configuration of the worker's own Kafka clients (aiokafka), in one place: bootstrap,
security (streams/kafka_auth.py) and the options the worker relies on."""

from streams.kafka_auth import aiokafka_kwargs
from streams.settings import Settings

MAX_FETCH_BYTES = 8 * 1024 * 1024


def common_config(settings: Settings) -> dict:
    return {"bootstrap_servers": settings.kafka_bootstrap, "client_id": settings.app_id,
            **aiokafka_kwargs(settings)}


def consumer_config(settings: Settings, group_id: str | None) -> dict:
    """A consumer with manual commits that reads every compression codec Kafka has."""
    return {
        **common_config(settings),
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_partition_fetch_bytes": MAX_FETCH_BYTES,
        "fetch_max_bytes": 4 * MAX_FETCH_BYTES,
        "session_timeout_ms": 10_000,
        "heartbeat_interval_ms": 1_000,
    }


def producer_config(settings: Settings) -> dict:
    """An idempotent producer: acknowledged by every in-sync replica, no duplicates or
    reordering from its own retries."""
    return {
        **common_config(settings),
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_batch_size": 1024 * 1024,
        "max_request_size": 2 * 1024 * 1024,
    }
