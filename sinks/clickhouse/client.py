"""A ClickHouse server connection (native protocol, clickhouse_driver) built from settings.

Offers the calls the rest of sinks/ needs: `execute(sql)`, `insert(table, columns, rows)`
(one insert with client-side type checks), `ping()` and `wait_until_available(timeout)`.
The password comes from the environment and is never logged or shown in a repr.
"""

import logging
import os
import time
from collections.abc import Mapping

from clickhouse_driver import Client
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

log = logging.getLogger(__name__)

ENV_PREFIX = "CASEWATCH_CLICKHOUSE_"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = 9000
    user: str = "default"
    password: SecretStr = SecretStr("")
    database: str = "casewatch"
    connect_timeout: float = 5.0
    send_receive_timeout: float = 30.0
    #: a cluster name from the servers' remote_servers: migrations run ON CLUSTER with
    #: Replicated engines (sinks/migrate.py); unset or empty: one server, plain engines
    cluster: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @field_validator("cluster", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return value or None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        """Read CASEWATCH_CLICKHOUSE_HOST, _PORT, _USER, _PASSWORD, _DATABASE, ..."""
        values = {
            name: env[ENV_PREFIX + name.upper()]
            for name in cls.model_fields
            if ENV_PREFIX + name.upper() in env
        }
        return cls(**values)


class ClickHouse:
    def __init__(self, settings: Settings):
        self.settings = settings
        # The client connects lazily and reconnects after a network error.
        # `database` stays "default": ours may not exist before migrations run, so
        # every statement names its database explicitly.
        self.client = Client(
            host=settings.host,
            port=settings.port,
            user=settings.user,
            password=settings.password.get_secret_value(),
            connect_timeout=settings.connect_timeout,
            send_receive_timeout=settings.send_receive_timeout,
        )

    def __repr__(self) -> str:
        s = self.settings
        return f"ClickHouse({s.user}@{s.host}:{s.port}, database={s.database})"

    def execute(self, sql: str) -> list[tuple]:
        return self.client.execute(sql)

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        self.client.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES", rows, types_check=True
        )

    def ping(self) -> bool:
        try:
            return self.client.execute("SELECT 1") == [(1,)]
        except Exception as exc:
            log.debug("ping %r failed: %s", self, exc)
            self.client.disconnect()
            return False

    def wait_until_available(self, timeout: float, first_delay: float = 0.2) -> None:
        """Ping with exponential backoff (capped at 5 s) until it answers or `timeout` passes."""
        deadline = time.monotonic() + timeout
        delay = first_delay
        while not self.ping():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self!r} did not answer within {timeout:g} s")
            time.sleep(min(delay, left))
            delay = min(delay * 2, 5.0)
