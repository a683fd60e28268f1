"""Worker settings, from environment variables (documented in README, "Configuration")."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from sinks.clickhouse.client import Settings as ClickHouseSettings

ENV_PREFIX = "CASEWATCH_"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = "casewatch."
    partitions: int = Field(4, ge=1)
    #: replicas of every casewatch topic, and how many must have a write (acks=all) before
    #: it counts: 3 and 2 on a 3-broker cluster, 1 and 1 on a single broker
    replication_factor: int = Field(1, ge=1)
    min_insync_replicas: int = Field(1, ge=1)
    app_id: str = "casewatch"
    state_dir: Path = Path(".state/worker")
    tz: str = "Asia/Shanghai"  # display time zone; rules always count in China Standard Time
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9464
    health_host: str = "127.0.0.1"  # the worker's health and readiness: GET /health, /ready
    health_port: int = 6066
    tick_interval: float = 0.1  # seconds between looks at the due index
    batch_max_records: int = Field(2000, ge=1)  # source records handed to the agent at once
    case_cache_size: int = Field(20_000, ge=1)  # parsed cases kept in memory (bounded: the
    # periodic full garbage collection scans them all; 20,000 cases take about 1 s)
    gc_sweep_interval: float = Field(3600.0, ge=0)  # seconds between full garbage
    # collections of the frozen state (streams/collector.py); 0: never
    closed_retention: float = Field(3600.0, ge=0)  # seconds an idle case with nothing due
    # stays in memory (it is reloaded from the local store on its next message)
    send_retries: int = Field(5, ge=0)  # retries of a failed output batch before stopping
    # bytes of an invalid input kept in its dead-letter record: base64 of at most 512 KiB,
    # with the reasons and the text, stays under the 1 MiB every output topic accepts
    dead_letter_value_limit: int = Field(128 * 1024, ge=1024, le=512 * 1024)
    max_clock_skew: float = Field(10.0, gt=0)  # seconds off the broker's clock before the
    # worker holds its jobs (streams/clock_guard.py)
    sink_batch_rows: int = 5000
    sink_flush_seconds: float = 1.0
    sink: Literal["process", "off"] = "process"  # off: `casewatch sink` runs on its own
    sink_metrics_port: int = 9465
    notify: Literal["process", "off"] = "off"  # process: the worker runs `casewatch notify`
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    units_file: Path = Path("deploy/units.toml")  # the unit registry (schemas/units.py)
    rules_dir: Path | None = None  # a rule set directory the worker starts with and watches:
    # a change that loads is applied to every worker (streams/rulesets.py); None: rules/
    # Kafka security (streams/kafka_auth.py turns these into client arguments)
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = (
        "PLAINTEXT")
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None  # never logged, hidden in repr
    kafka_ssl_cafile: Path | None = None  # CA bundle (PEM) the brokers' certificates chain to
    kafka_ssl_certfile: Path | None = None  # client certificate (PEM), for mutual TLS
    kafka_ssl_keyfile: Path | None = None  # its private key (PEM), if not in the certfile

    @model_validator(mode="after")
    def _insync_within_replicas(self) -> "Settings":
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(f"min_insync_replicas ({self.min_insync_replicas}) exceeds "
                             f"replication_factor ({self.replication_factor}): no write "
                             "could ever be acknowledged")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        values = {
            name: env[ENV_PREFIX + name.upper()]
            for name in cls.model_fields
            if name != "clickhouse" and ENV_PREFIX + name.upper() in env
        }
        return cls(**values, clickhouse=ClickHouseSettings.from_env(env))

    def topic(self, name: str) -> str:
        return self.topic_prefix + name
