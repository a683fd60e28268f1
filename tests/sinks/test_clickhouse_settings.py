"""sinks.clickhouse.client settings: read from the environment; the password never shows."""

import logging

from sinks.clickhouse.client import ClickHouse, Settings


def test_from_env_and_password_hidden(caplog):
    settings = Settings.from_env(
        {
            "CASEWATCH_CLICKHOUSE_HOST": "db.local",
            "CASEWATCH_CLICKHOUSE_PORT": "9001",
            "CASEWATCH_CLICKHOUSE_PASSWORD": "s3cret-pw",
            "CASEWATCH_CLICKHOUSE_DATABASE": "cw",
        }
    )
    assert (settings.host, settings.port, settings.user, settings.database) == (
        "db.local",
        9001,
        "default",
        "cw",
    )
    assert settings.password.get_secret_value() == "s3cret-pw"
    ch = ClickHouse(
        settings.model_copy(update={"host": "127.0.0.1", "port": 1, "connect_timeout": 0.2})
    )
    with caplog.at_level(logging.DEBUG, logger="sinks"):
        assert ch.ping() is False
    shown = repr(settings) + str(settings) + repr(ch) + caplog.text
    assert "s3cret-pw" not in shown and "db.local" in shown
