"""One isolated casewatch deployment on the shared stack: its own topic prefix, app id
(consumer groups), ClickHouse database, state directories and ports, removed on close."""

import sys
import uuid
from pathlib import Path

from clickhouse_driver import Client

from streams.settings import Settings
from streams.topics import ensure_topics
from tests.support.kafka_topics import delete_topics_with_prefix
from tests.support.ports import free_port
from tests.support.worker_process import WorkerProcess

REPO = Path(__file__).resolve().parents[2]


class Sandbox:
    def __init__(self, stack, workdir: Path, partitions: int = 4,
                 env: dict[str, str] | None = None):
        tag = uuid.uuid4().hex[:8]
        self.stack = stack
        self.workdir = workdir
        self.prefix = f"ft{tag}."
        self.app_id = f"ft{tag}"
        self.db = f"ft_{tag}"
        self.env = {
            "CASEWATCH_KAFKA_BOOTSTRAP": stack.bootstrap,
            "CASEWATCH_TOPIC_PREFIX": self.prefix,
            "CASEWATCH_APP_ID": self.app_id,
            "CASEWATCH_PARTITIONS": str(partitions),
            "CASEWATCH_CLICKHOUSE_HOST": stack.clickhouse_host,
            "CASEWATCH_CLICKHOUSE_PORT": str(stack.clickhouse_port),
            "CASEWATCH_CLICKHOUSE_DATABASE": self.db,
            "CASEWATCH_SINK_FLUSH_SECONDS": "0.5",
            **(env or {}),
        }
        self.workers: list[WorkerProcess] = []
        # as the worker creates them, so that events can be published before it starts
        ensure_topics(Settings.from_env(self.env))

    def topic(self, name: str) -> str:
        return self.prefix + name

    @property
    def worker_group(self) -> str:
        return self.app_id

    @property
    def sink_group(self) -> str:
        return f"{self.app_id}-sink"

    def worker(self, name: str, fault: str | None = None) -> WorkerProcess:
        """A new worker (not started) with its own state directory and ports; with `fault`,
        one with that fault injected (tests/support/faulty_worker.py)."""
        env = {
            **self.env,
            "CASEWATCH_STATE_DIR": str(self.workdir / name / "state"),
            "CASEWATCH_METRICS_PORT": str(free_port()),
            "CASEWATCH_HEALTH_PORT": str(free_port()),
            "CASEWATCH_SINK_METRICS_PORT": str(free_port()),
        }
        (self.workdir / name).mkdir(parents=True, exist_ok=True)
        command = None
        if fault is not None:
            env["CASEWATCH_TEST_FAULT"] = fault
            env["PYTHONPATH"] = str(REPO)  # the launcher lives in tests/support
            command = [sys.executable, "-m", "tests.support.faulty_worker"]
        worker = WorkerProcess(env, self.workdir / name / "worker.log", command)
        self.workers.append(worker)
        return worker

    def clickhouse(self) -> Client:
        return Client(self.stack.clickhouse_host, port=self.stack.clickhouse_port,
                      database="default", send_receive_timeout=300)

    def close(self) -> None:
        for worker in self.workers:
            worker.kill()
        try:
            self.clickhouse().execute(f"DROP DATABASE IF EXISTS {self.db}")
        except Exception:  # noqa: BLE001  ClickHouse down after a failed fault test
            pass
        delete_topics_with_prefix(self.stack.bootstrap, self.prefix, self.app_id)
