"""cli.doctor's judgements from Kafka metadata as KafkaAdminClient.describe_topics returns it,
the lag sum, and how findings read (the real servers: tests/integration/test_doctor.py)."""

import pytest
from kafka import TopicPartition

from cli.doctor_kafka import lag, topic_finding
from cli.findings import Finding, first_line, summary
from streams.settings import Settings

CLUSTER = Settings(partitions=3, replication_factor=3, min_insync_replicas=2)


def described(partitions=3, replicas=(1, 2, 3), isr=(1, 2, 3), leader=1, error_code=0):
    return {"name": "casewatch.warnings", "error_code": error_code, "partitions": [
        {"partition_index": i, "leader_id": leader if i == 0 else 1,
         "replica_nodes": list(replicas), "isr_nodes": list(isr) if i == 0 else [1, 2, 3]}
        for i in range(partitions)]}


def test_a_healthy_topic():
    f = topic_finding(described(), CLUSTER)
    assert f.ok
    assert (f.zh, f.en) == ("主题 casewatch.warnings：3 个分区，3 个副本。",
                            "Topic casewatch.warnings: 3 partitions, replication factor 3.")


@pytest.mark.parametrize(
    "topic, zh, en",
    [(described(error_code=3), "不存在", "does not exist"),
     (described(error_code=29), "无法读取（错误码 29）", "error code 29"),
     (described(partitions=4), "有 4 个分区，但配置为 3", "CASEWATCH_PARTITIONS"),
     (described(replicas=(1,), isr=(1,)), "只有 1 个副本", "CASEWATCH_REPLICATION_FACTOR"),
     (described(leader=-1), "分区 [0] 没有 leader", "no leader"),
     (described(isr=(2,)), "分区 [0] 同步副本少于 2", "writes are refused")],
    ids=["missing", "other-error", "partitions", "replicas", "leaderless", "under-replicated"],
)
def test_topic_problems_in_plain_words(topic, zh, en):
    f = topic_finding(topic, CLUSTER)
    assert not f.ok
    assert zh in f.zh and en in f.en


T0, T1 = TopicPartition("t", 0), TopicPartition("t", 1)


@pytest.mark.parametrize(
    "committed, earliest, latest, expected",
    [({T0: 10, T1: 5}, {T0: 0, T1: 0}, {T0: 10, T1: 5}, 0),
     ({T0: 7, T1: 5}, {T0: 0, T1: 0}, {T0: 10, T1: 9}, 7),
     ({T0: 7}, {T0: 0, T1: 4}, {T0: 10, T1: 9}, 3 + 5),  # nothing committed: from the start
     ({T0: 12}, {T0: 0}, {T0: 10}, 0)],  # never negative
)
def test_lag(committed, earliest, latest, expected):
    assert lag(committed, earliest, latest) == expected


def test_finding_reads_chinese_first_then_english_aligned():
    ok = str(Finding(True, "正常", "fine")).splitlines()
    bad = str(Finding(False, "坏了", "broken")).splitlines()
    assert ok == ["[正常 OK]      正常", " " * 15 + "fine"]
    assert bad == ["[问题 PROBLEM] 坏了", " " * 15 + "broken"]


def test_summary():
    good, bad = Finding(True, "a", "a"), Finding(False, "b", "b")
    assert summary([good, good]) == Finding(True, "全部 2 项检查正常。", "All 2 checks passed.")
    assert summary([good, bad, bad]) == Finding(
        False, "3 项检查中发现 2 个问题，见上。", "2 of 3 checks found a problem, see above.")


def test_first_line_drops_the_server_stack_trace():
    exc = RuntimeError("Code: 81.\nDB::Exception: Database x doesn't exist.\n\nStack trace:\n0. f")
    assert first_line(exc) == "RuntimeError: Code: 81. DB::Exception: Database x doesn't exist."
    assert first_line(TimeoutError()) == "TimeoutError"
