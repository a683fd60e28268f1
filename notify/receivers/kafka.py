"""A Kafka topic for in-house systems: the notification's JSON (receivers/base.py
`payload`), key = notification id, header `casewatch-notification-id`; sent by an
idempotent producer (acks=all). A copy sent twice has the same key: readers deduplicate
by it (or compact the topic)."""

from aiokafka.errors import KafkaError

from notify.notification import Notification
from notify.receivers.base import DeliveryError, payload
from notify.render import Rendered


class KafkaTopic:
    kind = "kafka"

    def __init__(self, producer, topic: str, timeout: float):
        self.producer, self.topic, self.timeout = producer, topic, timeout

    async def send(self, notification: Notification, rendered: Rendered) -> None:
        nid = notification.notification_id.encode()
        try:
            await self.producer.send_and_wait(
                self.topic, key=nid, value=payload(notification, rendered),
                headers=[("casewatch-notification-id", nid)])
        except KafkaError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}",
                                retriable=getattr(exc, "retriable", True)) from None


def ensure_topics(settings, topics: list[str]) -> list[str]:
    """Create the Kafka receivers' topics that are missing (partitions, replication and
    min.insync.replicas as casewatch's own); the names created."""
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    from streams.kafka_clients import admin

    client = admin(settings, f"{settings.app_id}-notify-admin")
    try:
        missing = sorted(set(topics) - set(client.list_topics()))
        if missing:
            try:
                client.create_topics([NewTopic(t, settings.partitions,
                                               settings.replication_factor, topic_configs={
                                                   "min.insync.replicas":
                                                   str(settings.min_insync_replicas)})
                                      for t in missing])
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        client.close()
