"""`casewatch doctor` on the real local stack: healthy with a running worker; plain-words
problems (Chinese first) and exit 1 for a missing topic, a wrong partition count, an
unreachable ClickHouse or Kafka, and consumer groups that never ran."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from sinks.clickhouse.migrate import load_migrations
from streams.settings import Settings
from streams.topics import SINGLE_PARTITION, TOPICS, ensure_topics
from tests.support.worker_process import WorkerProcess

CASEWATCH = Path(sys.executable).parent / "casewatch"
FREE_PORT = 18399  # in this developer's range; nothing listens there


def doctor(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CASEWATCH), "doctor", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def fresh_env(tmp_path) -> dict:
    tag = uuid.uuid4().hex[:8]
    return {"CASEWATCH_TOPIC_PREFIX": f"doc{tag}.", "CASEWATCH_APP_ID": f"doc{tag}",
            "CASEWATCH_STATE_DIR": str(tmp_path / "state"),
            "CASEWATCH_CLICKHOUSE_DATABASE": f"doc_{tag}", "CASEWATCH_METRICS_PORT": "18310"}


@pytest.fixture
def cleanup(stack):
    envs: list[dict] = []
    yield envs
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap)
    for env in envs:
        mine = [t for t in admin.list_topics()
                if t.startswith((env["CASEWATCH_TOPIC_PREFIX"], env["CASEWATCH_APP_ID"]))]
        if mine:
            admin.delete_topics(mine)
    admin.close()
    from clickhouse_driver import Client

    client = Client(stack.clickhouse_host, port=stack.clickhouse_port)
    for env in envs:
        client.execute(f"DROP DATABASE IF EXISTS {env['CASEWATCH_CLICKHOUSE_DATABASE']}")


def problems(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("[问题 PROBLEM]")]


def test_healthy_with_a_running_worker(stack, tmp_path, cleanup):
    env = fresh_env(tmp_path)
    cleanup.append(env)
    ensure_topics(Settings.from_env(env))
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.start()
    try:
        deadline = time.monotonic() + 60
        result = doctor(env)
        while result.returncode != 0 and time.monotonic() < deadline:
            time.sleep(1)  # the sink joins its group and migrates after the worker is ready
            result = doctor(env)
    finally:
        worker.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert problems(out) == []
    app_id = env["CASEWATCH_APP_ID"]
    for expected in [f"消费组 {app_id}：1 个成员在运行", f"消费组 {app_id}-sink：1 个成员在运行",
                     f"消费组 {app_id}-problems：1 个成员在运行",
                     f"全部 {len(load_migrations())} 个迁移已执行", "Kafka 可以连接"]:
        assert expected in out
    for name in TOPICS:
        partitions = 1 if name in SINGLE_PARTITION else 4
        assert f"主题 {env['CASEWATCH_TOPIC_PREFIX']}{name}：{partitions} 个分区" in out
    assert "各主题的消息上限足够" in out and "本机时钟与 Kafka 相差" in out
    # Kafka, each topic, three groups, message limits, clock, ClickHouse, migrations
    checks = 1 + len(TOPICS) + 3 + 2 + 2
    assert out.rstrip().splitlines()[-2].startswith(f"[正常 OK]      全部 {checks} 项检查正常")


def test_missing_topic_wrong_partitions_and_clickhouse_down(stack, tmp_path, cleanup):
    env = {**fresh_env(tmp_path), "CASEWATCH_CLICKHOUSE_PORT": str(FREE_PORT),
           "CASEWATCH_CLICKHOUSE_PASSWORD": "pw-Doctor-secret"}
    cleanup.append(env)
    prefix, app_id = env["CASEWATCH_TOPIC_PREFIX"], env["CASEWATCH_APP_ID"]
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap)
    admin.create_topics([NewTopic(prefix + name, 2, 1) for name in TOPICS if name != "acks"])
    admin.close()
    result = doctor(env)
    assert result.returncode == 1
    found = problems(result.stdout)
    assert any(f"主题 {prefix}acks 不存在" in line for line in found)
    assert any(f"主题 {prefix}case-events 有 2 个分区，但配置为 4" in line for line in found)
    assert any(f"无法连接 ClickHouse（127.0.0.1:{FREE_PORT}" in line for line in found)
    assert any(f"消费组 {app_id} 不存在" in line for line in found)
    assert any(f"消费组 {app_id}-sink 不存在" in line for line in found)
    assert any(f"消费组 {app_id}-problems 不存在" in line for line in found)
    # the clock topic made here keeps the producer's time: the clock cannot be compared
    assert any(f"主题 {prefix}clock 未使用 LogAppendTime" in line for line in found)
    assert len(found) == 1 + (len(TOPICS) - 1) + 1 + 3 + 1 + 1  # with the summary line
    assert "pw-Doctor-secret" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines):  # every finding: Chinese line, then its English line
        if line.startswith("["):
            assert lines[i + 1].startswith(" " * 15) and lines[i + 1].strip().isascii()


def test_kafka_unreachable(stack, tmp_path):
    env = {**fresh_env(tmp_path), "CASEWATCH_KAFKA_BOOTSTRAP": f"127.0.0.1:{FREE_PORT}"}
    result = doctor(env)
    assert result.returncode == 1
    found = problems(result.stdout)
    assert found[0].startswith(f"[问题 PROBLEM] 无法连接 Kafka（127.0.0.1:{FREE_PORT}）")
    assert "数据库" in result.stdout  # ClickHouse is still checked
