"""streams.settings.Settings: defaults, CASEWATCH_* overrides, validation, hidden password."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from streams.settings import Settings

DEFAULTS = {
    "kafka_bootstrap": "127.0.0.1:9092",
    "topic_prefix": "casewatch.",
    "partitions": 4,
    "replication_factor": 1,
    "min_insync_replicas": 1,
    "app_id": "casewatch",
    "state_dir": Path(".state/worker"),
    "tz": "Asia/Shanghai",
    "metrics_host": "127.0.0.1",
    "metrics_port": 9464,
    "health_host": "127.0.0.1",
    "health_port": 6066,
    "tick_interval": 0.1,
    "batch_max_records": 2000,
    "case_cache_size": 20_000,
    "gc_sweep_interval": 3600.0,
    "closed_retention": 3600.0,
    "send_retries": 5,
    "dead_letter_value_limit": 128 * 1024,
    "max_clock_skew": 10.0,
    "sink_batch_rows": 5000,
    "sink_flush_seconds": 1.0,
    "sink": "process",
    "sink_metrics_port": 9465,
    "notify": "off",
    "kafka_security_protocol": "PLAINTEXT",
    "kafka_sasl_mechanism": "SCRAM-SHA-512",
    "kafka_username": None,
    "kafka_password": None,
    "kafka_ssl_cafile": None,
    "kafka_ssl_certfile": None,
    "kafka_ssl_keyfile": None,
    "units_file": Path("deploy/units.toml"),
    "rules_dir": None,
}
CLICKHOUSE_DEFAULTS = {
    "host": "127.0.0.1",
    "port": 9000,
    "user": "default",
    "database": "casewatch",
    "connect_timeout": 5.0,
    "send_receive_timeout": 30.0,
}


@pytest.mark.parametrize("settings", [Settings(), Settings.from_env({})], ids=["init", "env"])
def test_defaults(settings):
    assert {name: getattr(settings, name) for name in DEFAULTS} == DEFAULTS
    ch = settings.clickhouse
    assert {name: getattr(ch, name) for name in CLICKHOUSE_DEFAULTS} == CLICKHOUSE_DEFAULTS
    assert ch.password.get_secret_value() == ""


def test_every_field_is_covered():
    assert set(Settings.model_fields) == set(DEFAULTS) | {"clickhouse"}


@pytest.mark.parametrize(
    "var,value,field,expected",
    [
        ("CASEWATCH_KAFKA_BOOTSTRAP", "kafka:29092", "kafka_bootstrap", "kafka:29092"),
        ("CASEWATCH_TOPIC_PREFIX", "test-1.", "topic_prefix", "test-1."),
        ("CASEWATCH_PARTITIONS", "12", "partitions", 12),
        ("CASEWATCH_REPLICATION_FACTOR", "1", "replication_factor", 1),
        ("CASEWATCH_MIN_INSYNC_REPLICAS", "1", "min_insync_replicas", 1),
        ("CASEWATCH_APP_ID", "cw-test", "app_id", "cw-test"),
        ("CASEWATCH_STATE_DIR", "/tmp/cw state", "state_dir", Path("/tmp/cw state")),
        ("CASEWATCH_TZ", "UTC", "tz", "UTC"),
        ("CASEWATCH_METRICS_HOST", "0.0.0.0", "metrics_host", "0.0.0.0"),
        ("CASEWATCH_METRICS_PORT", "19464", "metrics_port", 19464),
        ("CASEWATCH_HEALTH_PORT", "16066", "health_port", 16066),
        ("CASEWATCH_HEALTH_HOST", "0.0.0.0", "health_host", "0.0.0.0"),
        ("CASEWATCH_TICK_INTERVAL", "0.25", "tick_interval", 0.25),
        ("CASEWATCH_BATCH_MAX_RECORDS", "500", "batch_max_records", 500),
        ("CASEWATCH_CASE_CACHE_SIZE", "10", "case_cache_size", 10),
        ("CASEWATCH_GC_SWEEP_INTERVAL", "0", "gc_sweep_interval", 0.0),
        ("CASEWATCH_CLOSED_RETENTION", "60", "closed_retention", 60.0),
        ("CASEWATCH_SEND_RETRIES", "0", "send_retries", 0),
        ("CASEWATCH_DEAD_LETTER_VALUE_LIMIT", "4096", "dead_letter_value_limit", 4096),
        ("CASEWATCH_SINK_BATCH_ROWS", "100", "sink_batch_rows", 100),
        ("CASEWATCH_SINK_FLUSH_SECONDS", "2.5", "sink_flush_seconds", 2.5),
        ("CASEWATCH_SINK", "off", "sink", "off"),
        ("CASEWATCH_SINK_METRICS_PORT", "18565", "sink_metrics_port", 18565),
        ("CASEWATCH_NOTIFY", "process", "notify", "process"),
        ("CASEWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "kafka_security_protocol", "SASL_SSL"),
        ("CASEWATCH_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256", "kafka_sasl_mechanism",
         "SCRAM-SHA-256"),
        ("CASEWATCH_KAFKA_USERNAME", "casewatch", "kafka_username", "casewatch"),
        ("CASEWATCH_KAFKA_SSL_CAFILE", "/etc/kafka/ca.pem", "kafka_ssl_cafile",
         Path("/etc/kafka/ca.pem")),
        ("CASEWATCH_KAFKA_SSL_CERTFILE", "/etc/kafka/c.pem", "kafka_ssl_certfile",
         Path("/etc/kafka/c.pem")),
        ("CASEWATCH_KAFKA_SSL_KEYFILE", "/etc/kafka/c.key", "kafka_ssl_keyfile",
         Path("/etc/kafka/c.key")),
    ],
)
def test_env_override(var, value, field, expected):
    settings = Settings.from_env({var: value})
    assert getattr(settings, field) == expected
    others = {k: v for k, v in DEFAULTS.items() if k != field}
    assert {name: getattr(settings, name) for name in others} == others


@pytest.mark.parametrize(
    "var,value,field,expected",
    [
        ("CASEWATCH_CLICKHOUSE_HOST", "ch.local", "host", "ch.local"),
        ("CASEWATCH_CLICKHOUSE_PORT", "19000", "port", 19000),
        ("CASEWATCH_CLICKHOUSE_USER", "writer", "user", "writer"),
        ("CASEWATCH_CLICKHOUSE_DATABASE", "cw_test", "database", "cw_test"),
        ("CASEWATCH_CLICKHOUSE_CONNECT_TIMEOUT", "1.5", "connect_timeout", 1.5),
        ("CASEWATCH_CLICKHOUSE_SEND_RECEIVE_TIMEOUT", "60", "send_receive_timeout", 60.0),
    ],
)
def test_clickhouse_env_override(var, value, field, expected):
    settings = Settings.from_env({var: value})
    assert getattr(settings.clickhouse, field) == expected
    assert {name: getattr(settings, name) for name in DEFAULTS} == DEFAULTS


def test_clickhouse_password_from_env():
    settings = Settings.from_env({"CASEWATCH_CLICKHOUSE_PASSWORD": "pw-Secret-123"})
    assert settings.clickhouse.password.get_secret_value() == "pw-Secret-123"


def test_unrelated_and_unprefixed_variables_are_ignored():
    settings = Settings.from_env({"PARTITIONS": "9", "CASEWATCH_NOPE": "1",
                                  "CASEWATCH_CLICKHOUSE": "x", "casewatch_partitions": "9"})
    assert {name: getattr(settings, name) for name in DEFAULTS} == DEFAULTS


def test_several_overrides_at_once():
    settings = Settings.from_env({
        "CASEWATCH_PARTITIONS": "2",
        "CASEWATCH_TOPIC_PREFIX": "t.",
        "CASEWATCH_CLICKHOUSE_HOST": "db",
        "CASEWATCH_CLICKHOUSE_PORT": "9440",
    })
    assert (settings.partitions, settings.topic_prefix) == (2, "t.")
    assert (settings.clickhouse.host, settings.clickhouse.port) == ("db", 9440)


def test_from_env_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("CASEWATCH_PARTITIONS", "7")
    monkeypatch.setenv("CASEWATCH_CLICKHOUSE_USER", "env-user")
    settings = Settings.from_env()
    assert settings.partitions == 7
    assert settings.clickhouse.user == "env-user"


@pytest.mark.parametrize(
    "var,value,loc",
    [
        ("CASEWATCH_PARTITIONS", "abc", ("partitions",)),
        ("CASEWATCH_PARTITIONS", "", ("partitions",)),
        ("CASEWATCH_PARTITIONS", "2.5", ("partitions",)),
        ("CASEWATCH_METRICS_PORT", "http", ("metrics_port",)),
        ("CASEWATCH_TICK_INTERVAL", "fast", ("tick_interval",)),
        ("CASEWATCH_SINK_BATCH_ROWS", "1e3x", ("sink_batch_rows",)),
        ("CASEWATCH_SINK", "thread", ("sink",)),
        ("CASEWATCH_SINK_METRICS_PORT", "x", ("sink_metrics_port",)),
        ("CASEWATCH_NOTIFY", "yes", ("notify",)),
        ("CASEWATCH_CLICKHOUSE_PORT", "abc", ("port",)),
        ("CASEWATCH_CLICKHOUSE_CONNECT_TIMEOUT", "soon", ("connect_timeout",)),
    ],
)
def test_bad_values_raise_validation_error(var, value, loc):
    env = {var: value, "CASEWATCH_CLICKHOUSE_PASSWORD": "pw-Secret-123"}
    with pytest.raises(ValidationError) as info:
        Settings.from_env(env)
    errors = info.value.errors()
    assert len(errors) == 1
    assert errors[0]["loc"] == loc
    assert errors[0]["input"] == value
    assert loc[0] in str(info.value)
    assert "pw-Secret-123" not in str(info.value)


def test_cluster_replication_from_env():
    settings = Settings.from_env({"CASEWATCH_REPLICATION_FACTOR": "3",
                                  "CASEWATCH_MIN_INSYNC_REPLICAS": "2"})
    assert (settings.replication_factor, settings.min_insync_replicas) == (3, 2)


@pytest.mark.parametrize(
    "env, message",
    [({"CASEWATCH_MIN_INSYNC_REPLICAS": "2"}, "min_insync_replicas \\(2\\) exceeds"),
     ({"CASEWATCH_REPLICATION_FACTOR": "0"}, "replication_factor"),
     ({"CASEWATCH_REPLICATION_FACTOR": "three"}, "replication_factor"),
     ({"CASEWATCH_REPLICATION_FACTOR": "3", "CASEWATCH_MIN_INSYNC_REPLICAS": "0"},
      "min_insync_replicas")],
)
def test_bad_replication_settings_are_refused(env, message):
    with pytest.raises(ValidationError, match=message):
        Settings.from_env(env)
def test_kafka_password_from_env_is_hidden():
    settings = Settings.from_env({"CASEWATCH_KAFKA_PASSWORD": "pw-Secret-123"})
    assert settings.kafka_password.get_secret_value() == "pw-Secret-123"
    assert "pw-Secret-123" not in repr(settings) + settings.model_dump_json()


def test_settings_are_frozen():
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.partitions = 8


def test_password_never_shown():
    secret = "pw-Secret-123"
    settings = Settings.from_env({"CASEWATCH_CLICKHOUSE_PASSWORD": secret,
                                  "CASEWATCH_CLICKHOUSE_HOST": "ch.local"})
    shown = [repr(settings), str(settings), repr(settings.clickhouse), str(settings.clickhouse),
             settings.model_dump_json(), str(settings.model_dump()), f"{settings}", f"{settings!r}"]
    for text in shown:
        assert secret not in text
    assert "ch.local" in repr(settings)  # the rest is shown


@pytest.mark.parametrize(
    "prefix,name,expected",
    [
        ("casewatch.", "case-events", "casewatch.case-events"),
        ("", "warnings", "warnings"),
        ("t1.", "case-events.dlq", "t1.case-events.dlq"),
    ],
)
def test_topic_name(prefix, name, expected):
    assert Settings(topic_prefix=prefix).topic(name) == expected
