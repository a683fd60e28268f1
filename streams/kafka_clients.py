"""kafka-python clients, all made here from settings: the one place where connection
options (bootstrap servers, and the security settings when they are configured) are set."""

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
