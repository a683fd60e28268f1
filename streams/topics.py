"""The worker's topics, created if missing: all with the configured partition count,
replication factor and min.insync.replicas."""

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.kafka_clients import connection
from streams.settings import Settings

TOPICS = ("case-events", "case-ticks", "warnings", "case-events.dlq", "case-rows", "acks")


def ensure_topics(settings: Settings) -> list[str]:
    """Create the absent topics; return the names created."""
    admin = KafkaAdminClient(**connection(settings), client_id=f"{settings.app_id}-admin")
    try:
        existing = set(admin.list_topics())
        wanted = [settings.topic(name) for name in TOPICS]
        config = {"min.insync.replicas": str(settings.min_insync_replicas)}
        missing = [NewTopic(name, settings.partitions, settings.replication_factor,
                            topic_configs=config)
                   for name in wanted if name not in existing]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another worker created them first
        return [t.name for t in missing]
    finally:
        admin.close()
