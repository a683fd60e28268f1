"""A topic read from its start in a background thread: every record as JSON, with the
time it arrived here (for latency assertions)."""

import json
import threading
import time

from kafka import KafkaConsumer


class Collector:
    def __init__(self, bootstrap: str, topic: str):
        self.records: list[tuple[float, dict]] = []
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap,
                                       auto_offset_reset="earliest", group_id=None,
                                       isolation_level="read_committed")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            for batch in self._consumer.poll(timeout_ms=50).values():
                arrived = time.time()
                self.records.extend((arrived, json.loads(m.value)) for m in batch)

    def wait_for(self, predicate, timeout: float = 60.0) -> tuple[float, dict]:
        """Arrival time and record of the first record matching, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for arrived, record in list(self.records):
                if predicate(record):
                    return arrived, record
            time.sleep(0.02)
        raise AssertionError("no matching record within the timeout")

    def json(self) -> list[dict]:
        return [record for _, record in list(self.records)]

    def latest(self, warning_id: str) -> dict:
        return [w for _, w in list(self.records) if w["warning_id"] == warning_id][-1]

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self._consumer.close()
