"""Connection settings of the read-only ClickHouse user (dashboards, the report).

deploy/stack creates the user `casewatch_reader` (read-only profile) with the password of
CASEWATCH_CLICKHOUSE_READER_PASSWORD, default `casewatch-reader-dev` for local
development only; production sets its own. Host, port and database are the usual
CASEWATCH_CLICKHOUSE_* settings.
"""

import os
from collections.abc import Mapping

from pydantic import SecretStr

from sinks.clickhouse.client import ClickHouse, Settings

READER_USER = "casewatch_reader"
READER_DEV_PASSWORD = "casewatch-reader-dev"  # local development default, documented


def reader_settings(env: Mapping[str, str] = os.environ) -> Settings:
    return Settings.from_env(env).model_copy(
        update={
            "user": env.get("CASEWATCH_CLICKHOUSE_READER_USER", READER_USER),
            "password": SecretStr(
                env.get("CASEWATCH_CLICKHOUSE_READER_PASSWORD", READER_DEV_PASSWORD)
            ),
        }
    )


def wait_for_reader(settings: Settings, timeout: float) -> None:
    """Wait until the reader can log in: ClickHouse re-reads users.xml a moment after
    `deploy/stack start` rewrote it. TimeoutError says what to check."""
    try:
        ClickHouse(settings).wait_until_available(timeout)
    except TimeoutError as exc:
        raise TimeoutError(
            f"{exc}: does the server's users.xml have {settings.user}? (deploy/stack start)"
        ) from exc
