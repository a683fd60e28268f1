"""`casewatch sink` (with its problems intake) as a child process on the shared stack, with
a topic prefix, app id and ClickHouse database of its own; removed on close."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from clickhouse_driver import Client
from kafka import KafkaProducer

from streams.settings import Settings
from streams.topics import ensure_topics
from tests.support.kafka_topics import delete_topics_with_prefix, read_topic
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]


class SinkRig:
    def __init__(self, stack, log_dir: Path, **env: str):
        tag = uuid.uuid4().hex[:8]
        self.stack = stack
        self.env = {
            **os.environ,
            "CASEWATCH_KAFKA_BOOTSTRAP": stack.bootstrap,
            "CASEWATCH_TOPIC_PREFIX": f"pb{tag}.",
            "CASEWATCH_APP_ID": f"pb{tag}",
            "CASEWATCH_CLICKHOUSE_DATABASE": f"pb_{tag}",
            "CASEWATCH_SINK_FLUSH_SECONDS": "0.3",
            **env,
        }
        self.settings = Settings.from_env(self.env)
        ensure_topics(self.settings)
        self.db = self.settings.clickhouse.database
        self.log_dir = log_dir
        self.producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
        self.proc: subprocess.Popen | None = None

    def topic(self, name: str) -> str:
        return self.settings.topic(name)

    def start(self) -> None:
        log = (self.log_dir / "sink.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "sink"], cwd=REPO, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**self.env, "CASEWATCH_SINK_METRICS_PORT": str(free_port())})

    def send(self, name: str, value: bytes | None, key: bytes | None) -> None:
        self.producer.send(self.topic(name), key=key, value=value)
        self.producer.flush()

    def read(self, name: str) -> list:
        """Every record of a topic so far."""
        return read_topic(self.stack.bootstrap, self.topic(name), timeout=30)

    def query(self, sql: str) -> list[tuple]:
        client = Client(self.stack.clickhouse_host, port=self.stack.clickhouse_port)
        try:
            return client.execute(sql.format(db=self.db))
        finally:
            client.disconnect()

    def wait_for(self, check, timeout: float = 60.0, what: str = "the condition"):
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            try:
                last = check()
            except Exception as exc:  # noqa: BLE001  tables not migrated yet
                last = exc
            if last is True or (last and not isinstance(last, Exception)):
                return last
            time.sleep(0.3)
        raise AssertionError(f"{what} not reached within {timeout} s; last: {last!r}")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.producer.close()
        try:
            Client(self.stack.clickhouse_host, port=self.stack.clickhouse_port).execute(
                f"DROP DATABASE IF EXISTS {self.db}")
        finally:
            delete_topics_with_prefix(self.stack.bootstrap, self.settings.topic_prefix,
                                      self.settings.app_id)
