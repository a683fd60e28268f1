"""Publish messages to a topic in a background thread with kafka-python, at a steady
rate, keeping where each one landed (partition, offset)."""

import json
import threading
import time

from kafka import KafkaProducer

MiB = 1024 * 1024


def encode(event: dict) -> tuple[bytes, bytes]:
    """(key, value) of a contract event: key = case_id, value = its JSON."""
    return event["case_id"].encode(), json.dumps(event, ensure_ascii=False).encode()


class Publisher:
    """Sends `messages` ((key, value) pairs) spread over `seconds` (0: as fast as it can).

    The producer is idempotent with unlimited retries within `delivery_timeout`, so a
    broker restart delays messages but neither loses nor duplicates them.
    """

    def __init__(self, bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes]],
                 seconds: float = 0.0, max_message_bytes: int = MiB,
                 delivery_timeout: float = 300.0):
        self.topic = topic
        self.messages = messages
        self.seconds = seconds
        self.placed: list[tuple[int, int] | None] = [None] * len(messages)
        self.errors: list[BaseException] = []
        self.sent = 0
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
            linger_ms=20, batch_size=256 * 1024, max_request_size=max_message_bytes + MiB,
            delivery_timeout_ms=int(delivery_timeout * 1000),
            request_timeout_ms=30_000, retry_backoff_ms=500, reconnect_backoff_max_ms=2000,
        )
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Publisher":
        self._thread.start()
        return self

    def _run(self) -> None:
        started = time.monotonic()
        n = len(self.messages)
        try:
            for i, (key, value) in enumerate(self.messages):
                if self.seconds:
                    time.sleep(max(0.0, started + self.seconds * i / n - time.monotonic()))
                future = self._producer.send(self.topic, key=key, value=value)
                future.add_callback(self._placed, i)
                future.add_errback(self.errors.append)
                self.sent = i + 1
            self._producer.flush()
        except BaseException as exc:  # noqa: BLE001  reported by join()
            self.errors.append(exc)

    def _placed(self, i: int, metadata) -> None:
        self.placed[i] = (metadata.partition, metadata.offset)

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def progress(self) -> float:
        return self.sent / max(1, len(self.messages))

    def join(self, timeout: float = 600.0) -> None:
        """Wait until every message is acknowledged; raise if any was not."""
        self._thread.join(timeout)
        self._producer.close()
        if self._thread.is_alive():
            raise AssertionError(f"publishing {self.topic} did not finish in {timeout} s")
        unplaced = sum(1 for p in self.placed if p is None)
        if self.errors or unplaced:
            raise AssertionError(f"{unplaced} of {len(self.messages)} messages not "
                                 f"acknowledged; errors: {self.errors[:3]}")
