"""The worker's topics, created if missing (all with the same partition count)."""

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.settings import Settings

TOPICS = ("case-events", "case-ticks", "warnings", "case-events.dlq", "case-rows", "acks",
          "warning-actions")


def ensure_topics(settings: Settings) -> list[str]:
    """Create the absent topics; return the names created."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                             client_id=f"{settings.app_id}-admin")
    try:
        existing = set(admin.list_topics())
        wanted = [settings.topic(name) for name in TOPICS]
        missing = [NewTopic(name, settings.partitions, 1) for name in wanted
                   if name not in existing]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another worker created them first
        return [t.name for t in missing]
    finally:
        admin.close()
