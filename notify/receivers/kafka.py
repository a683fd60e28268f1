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
