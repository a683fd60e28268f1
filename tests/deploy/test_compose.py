"""deploy/compose.yaml (no Docker here): it parses, and its key settings are those of
docs/deploying.md — 3 brokers, replication 3, min.insync.replicas 2 for every topic."""

import re
from pathlib import Path

import pytest
import yaml

from streams.settings import Settings

COMPOSE = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "deploy" / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
BROKERS = ["kafka-1", "kafka-2", "kafka-3"]
WORKER_ENV = SERVICES["worker"]["environment"]


def default(value: str) -> str:
    """`${VAR:-default}` -> default; anything else as it is."""
    match = re.fullmatch(r"\$\{\w+:-(.*)\}", str(value))
    return match.group(1) if match else str(value)


def test_services():
    assert set(SERVICES) >= {*BROKERS, "topics", "clickhouse", "worker", "prometheus",
                             "grafana", "doctor"}


@pytest.mark.parametrize("broker", BROKERS)
def test_three_brokers_with_replication_3_and_min_insync_2(broker):
    env = SERVICES[broker]["environment"]
    assert env["KAFKA_NODE_ID"] == BROKERS.index(broker) + 1
    assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{broker}:9092"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == ",".join(
        f"{i}@{b}:9093" for i, b in enumerate(BROKERS, start=1))
    assert (env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"]) == (3, 2)
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 3
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_workers_create_topics_replicated_and_reach_every_broker():
    settings = Settings.from_env({k: default(v) for k, v in WORKER_ENV.items()
                                  if k.startswith("CASEWATCH_") and "PASSWORD" not in k})
    assert (settings.replication_factor, settings.min_insync_replicas) == (3, 2)
    assert settings.kafka_bootstrap.split(",") == [f"{b}:9092" for b in BROKERS]
    assert settings.partitions >= 4


def test_topics_job_creates_the_topics_as_the_workers_would():
    job = SERVICES["topics"]
    assert job["command"] == ["python", "-m", "streams.topics"]  # the workers' own list
    assert job["environment"] == WORKER_ENV
    assert job["image"] == SERVICES["worker"]["image"]


def test_workers_start_after_topics_and_clickhouse_and_fit_the_partitions():
    worker = SERVICES["worker"]
    assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert worker["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    assert int(default(worker["deploy"]["replicas"])) <= int(
        default(WORKER_ENV["CASEWATCH_PARTITIONS"]))


def test_secrets_are_required_from_the_environment_never_defaulted():
    assert WORKER_ENV["CASEWATCH_CLICKHOUSE_PASSWORD"].startswith("${CLICKHOUSE_PASSWORD:?")
    grafana = SERVICES["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")


def test_host_ports_bind_to_localhost_only():
    ports = [p for s in SERVICES.values() for p in s.get("ports", [])]
    assert ports and all(p.startswith("127.0.0.1:") for p in ports)
