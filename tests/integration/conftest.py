"""Fixtures for tests that need the real local stack (Kafka 4 + ClickHouse).

The ``stack`` fixture runs ``deploy/stack start`` once per session (a no-op when the
stack already runs) and hands out endpoints plus start/stop/kill helpers for fault
tests. ``kafka_cluster`` starts the three-broker Kafka (``deploy/stack start
kafka-cluster``) on demand and hands out its bootstrap and per-node kill/start
(tests/support/kafka_cluster.py). ``sandbox`` gives a test its own topics, database and
ports on the stack; ``scale`` the fault tests' sizes. Every test under tests/integration
is marked ``integration``, so ``pytest -m 'not integration'`` runs without the stack.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.kafka_cluster import KafkaCluster
from tests.support.sandbox import Sandbox
from tests.support.scale import Scale

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "deploy" / "stack"
HERE = Path(__file__).resolve().parent


@dataclass
class Stack:
    bootstrap: str = "127.0.0.1:9092"
    clickhouse_host: str = "127.0.0.1"
    clickhouse_port: int = 9000
    clickhouse_http_port: int = 8123
    topic_prefix: str = field(
        default_factory=lambda: os.environ.get("CASEWATCH_TOPIC_PREFIX", "casewatch.")
    )
    disturbed: bool = False  # a test stopped or killed something

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run ``deploy/stack ARGS``; raise with its output if it fails."""
        proc = subprocess.run(
            [str(STACK), *args],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            command = " ".join(["deploy/stack", *args])
            output = proc.stdout + proc.stderr
            raise RuntimeError(f"{command} exited {proc.returncode}\n{output}")
        return proc

    def start(self, service: str | None = None) -> None:
        """Start one service (or the default set) and wait until it is healthy."""
        self.run("start", *([service] if service else []))

    def stop(self, service: str | None = None) -> None:
        """Stop cleanly: SIGTERM, then SIGKILL after 30 s."""
        self.disturbed = True
        self.run("stop", *([service] if service else []))

    def kill(self, service: str) -> None:
        """SIGKILL, to simulate a crash."""
        self.disturbed = True
        self.run("kill", service)

    def is_healthy(self, service: str) -> bool:
        status = subprocess.run([str(STACK), "status", service], cwd=REPO, capture_output=True)
        return status.returncode == 0

    def topic(self, name: str) -> str:
        """Full topic name: ``topic('warnings') == 'casewatch.warnings'``."""
        return self.topic_prefix + name


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    s = Stack()
    s.start()
    yield s
    # Leave the stack as we found it for the next session (and for humans).
    if s.disturbed:
        s.start()


@pytest.fixture
def sandbox(stack, tmp_path) -> Iterator[Sandbox]:
    """A test's own topics, app id, ClickHouse database and ports on the stack, removed
    after it (tests/support/sandbox.py)."""
    box = Sandbox(stack, tmp_path)
    yield box
    box.close()


@pytest.fixture
def scale() -> Scale:
    """The fault tests' sizes (CASEWATCH_FAULT_* in the environment)."""
    return Scale.from_env()


@pytest.fixture(scope="session")
def _kafka_cluster_session(stack) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(stack.run)
    ours = not cluster.running()  # another session's cluster is left running
    cluster.start()
    yield cluster
    if ours:
        cluster.stop()


@pytest.fixture
def kafka_cluster(_kafka_cluster_session) -> Iterator[KafkaCluster]:
    """The three-broker Kafka, every node up; nodes a test killed are started again."""
    cluster = _kafka_cluster_session
    cluster.start()
    yield cluster
    cluster.start()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees every collected item, not only those under this directory.
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)
