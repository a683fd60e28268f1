"""streams.topics.ensure_topics: which topics it creates, with a fake Kafka admin client."""

import pytest
from kafka.errors import TopicAlreadyExistsError

import streams.topics as topics
from streams.settings import Settings

ALL = ["case-events", "warnings", "case-events.dlq", "case-rows", "case-state", "acks", "rules",
       "warning-actions", "access-log", "clock", "lawyer-notices", "notify-commands",
       "notify-state", "notifications", "problems", "problems.dlq", "problem-records",
       "problem-actions", "month-closures", "bulletins"]


class FakeAdmin:
    """Records what ensure_topics asks of KafkaAdminClient."""

    instances: list["FakeAdmin"] = []
    existing: list[str] = []
    fail_with: Exception | None = None

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.created: list[list] = []
        self.closed = False
        FakeAdmin.instances.append(self)

    def list_topics(self):
        return list(FakeAdmin.existing)

    def create_topics(self, new_topics):
        self.created.append(list(new_topics))
        if FakeAdmin.fail_with is not None:
            raise FakeAdmin.fail_with

    def close(self):
        self.closed = True


@pytest.fixture
def admin(monkeypatch):
    FakeAdmin.instances, FakeAdmin.existing, FakeAdmin.fail_with = [], [], None
    monkeypatch.setattr(topics, "KafkaAdminClient", FakeAdmin)
    return FakeAdmin


def described(new_topics):
    return [(t.name, t.num_partitions, t.replication_factor, t.topic_configs)
            for t in new_topics]


def configs(name: str, insync: int) -> dict:
    """What every topic gets, and what some get besides (see the next test)."""
    return {"min.insync.replicas": str(insync), "max.message.bytes": "1048588",
            **topics.CONFIGS.get(name.split(".", 1)[-1], {})}


def partitions_of(name: str, partitions: int) -> int:
    return 1 if name.split(".")[-1] in topics.SINGLE_PARTITION else partitions


def test_each_topic_s_configs(admin):
    topics.ensure_topics(Settings(topic_prefix="c."))
    (client,) = admin.instances
    created = {t.name: t.topic_configs for t in client.created[0]}
    assert created["c.case-state"] == {"min.insync.replicas": "1", "cleanup.policy": "compact",
                                       "max.message.bytes": "1048588"}
    assert created["c.notify-state"] == {"min.insync.replicas": "1", "cleanup.policy": "compact",
                                         "max.message.bytes": "1048588"}
    assert created["c.case-events"] == {"min.insync.replicas": "1",
                                        "max.message.bytes": str(4 * 1024 * 1024),
                                        "message.timestamp.type": "LogAppendTime"}
    assert created["c.warnings"] == {"min.insync.replicas": "1", "max.message.bytes": "1048588"}
    assert created["c.clock"]["message.timestamp.type"] == "LogAppendTime"
    assert {t.name: t.num_partitions for t in client.created[0]}["c.clock"] == 1
    assert created["c.problem-records"] == {**created["c.warnings"], "cleanup.policy": "compact"}
    assert created["c.month-closures"] == {**created["c.warnings"], "retention.ms": "-1",
                                           "retention.bytes": "-1"}
    assert created["c.problems"] == created["c.case-events"]


def test_a_topic_accepting_less_than_casewatch_writes_is_named():
    settings = Settings(topic_prefix="c.")
    found = topics.limit_problems(settings, {"c.case-rows": {"max.message.bytes": "100000"},
                                             "c.warnings": {"max.message.bytes": "2000000"},
                                             "c.case-events": {}})
    assert found == ["topic c.case-rows accepts messages of 100000 bytes, casewatch writes up"
                     " to 1048588: set its max.message.bytes to 1048588"]
    assert topics.limit_problems(settings, {"c.case-events": {
        "max.message.bytes": "1048588"}})[0].startswith("topic c.case-events accepts")


def test_topic_list():
    assert list(topics.TOPICS) == ALL


@pytest.mark.parametrize(
    "prefix,partitions,existing,created",
    [
        ("casewatch.", 4, [], [f"casewatch.{n}" for n in ALL]),
        ("t1.", 2, [], [f"t1.{n}" for n in ALL]),
        ("", 1, [], ALL),
        ("casewatch.", 4, ["casewatch.warnings", "casewatch.acks", "other"],
         [f"casewatch.{n}" for n in ALL if n not in ("warnings", "acks")]),
        # a topic of another prefix does not count
        ("t2.", 3, ["casewatch.case-events", "case-events"], [f"t2.{n}" for n in ALL]),
    ],
)
def test_creates_the_missing_topics(admin, prefix, partitions, existing, created):
    admin.existing = existing
    settings = Settings(topic_prefix=prefix, partitions=partitions,
                        kafka_bootstrap="kafka:1234", app_id="cw-x")
    assert topics.ensure_topics(settings) == created
    (client,) = admin.instances
    assert client.kwargs == {"bootstrap_servers": "kafka:1234", "client_id": "cw-x-admin",
                             "security_protocol": "PLAINTEXT"}
    assert [described(call) for call in client.created] == [
        [(name, partitions_of(name, partitions), 1, configs(name, 1)) for name in created]]
    assert client.closed


@pytest.mark.parametrize("replicas, insync", [(3, 2), (2, 2), (5, 3)])
def test_topics_get_the_cluster_replication(admin, replicas, insync):
    settings = Settings(replication_factor=replicas, min_insync_replicas=insync, partitions=12)
    topics.ensure_topics(settings)
    (client,) = admin.instances
    assert [described(call) for call in client.created] == [
        [(f"casewatch.{n}", partitions_of(n, 12), replicas, configs(f"casewatch.{n}", insync))
         for n in ALL]]


def test_nothing_missing_creates_nothing(admin):
    admin.existing = [f"casewatch.{n}" for n in ALL]
    assert topics.ensure_topics(Settings()) == []
    (client,) = admin.instances
    assert client.created == []
    assert client.closed


def test_created_meanwhile_by_another_worker(admin):
    admin.fail_with = TopicAlreadyExistsError()
    assert topics.ensure_topics(Settings(topic_prefix="p.")) == [f"p.{n}" for n in ALL]
    (client,) = admin.instances
    assert len(client.created) == 1
    assert client.closed


def test_other_errors_propagate_and_close_the_client(admin):
    admin.fail_with = RuntimeError("broker down")
    with pytest.raises(RuntimeError, match="broker down"):
        topics.ensure_topics(Settings())
    (client,) = admin.instances
    assert client.closed


def test_the_admin_client_logs_in_with_the_kafka_credentials(admin):
    settings = Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_username="casewatch",
                        kafka_password="pw-1", kafka_sasl_mechanism="SCRAM-SHA-256")
    topics.ensure_topics(settings)
    (client,) = admin.instances
    assert {k: client.kwargs[k] for k in ("security_protocol", "sasl_mechanism",
                                          "sasl_plain_username", "sasl_plain_password")} == {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "casewatch", "sasl_plain_password": "pw-1"}
