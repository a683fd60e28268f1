"""A casewatch deployment of its own on the shared stack, for the problems tests: a topic
prefix, app id and ClickHouse database of its own, the processes it starts (`casewatch
sink` with its problems intake, or a worker and a web server), removed on close."""

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


class StackRig:
    def __init__(self, stack, log_dir: Path, **env: str):
        tag = uuid.uuid4().hex[:8]
        self.stack = stack
        self.env = {
            **os.environ,
            "CASEWATCH_KAFKA_BOOTSTRAP": stack.bootstrap,
            "CASEWATCH_TOPIC_PREFIX": f"pb{tag}.",
            "CASEWATCH_APP_ID": f"pb{tag}",
            "CASEWATCH_CLICKHOUSE_DATABASE": f"pb_{tag}",
            "CASEWATCH_STATE_DIR": str(log_dir / "state"),
            "CASEWATCH_SINK_FLUSH_SECONDS": "0.3",
            **env,
        }
        self.settings = Settings.from_env(self.env)
        ensure_topics(self.settings)
        self.db = self.settings.clickhouse.database
        self.log_dir = log_dir
        self.producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
        self.sink: subprocess.Popen | None = None
        self.stoppable: list = []  # WorkerProcess, WebProcess: stopped on close, last first

    def topic(self, name: str) -> str:
        return self.settings.topic(name)

    def start_sink(self) -> None:
        """`casewatch sink` alone (no worker), with its problems intake."""
        log = (self.log_dir / "sink.log").open("ab")
        self.sink = subprocess.Popen(
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

    def wait_rows(self, sql: str, expected, timeout: float = 60.0) -> None:
        seen = []

        def check() -> bool:
            seen[:] = [self.query(sql)]
            return seen[0] == expected

        try:
            self.wait_for(check, timeout, f"{sql} = {expected}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last rows: {seen}") from None

    def close(self) -> None:
        for process in reversed(self.stoppable):
            process.stop()
        if self.sink is not None and self.sink.poll() is None:
            os.killpg(self.sink.pid, signal.SIGTERM)
            try:
                self.sink.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.sink.pid, signal.SIGKILL)
        self.producer.close()
        try:
            Client(self.stack.clickhouse_host, port=self.stack.clickhouse_port).execute(
                f"DROP DATABASE IF EXISTS {self.db}")
        finally:
            delete_topics_with_prefix(self.stack.bootstrap, self.settings.topic_prefix,
                                      self.settings.app_id)
