"""Settings of `casewatch notify`, from CASEWATCH_NOTIFY_* environment variables (the
Kafka, topic prefix and app id settings are the worker's, streams/settings.py)."""

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "CASEWATCH_NOTIFY_"


class NotifySettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    config: Path = Path("deploy/notify.toml")  # the routing file
    metrics_port: int = Field(9466, ge=1, le=65535)  # /metrics on CASEWATCH_METRICS_HOST
    poll_seconds: float = Field(0.2, gt=0, le=5)  # longest wait for input between ticks
    reload_seconds: float = Field(5.0, gt=0)  # how often the routing file is looked at
    max_records: int = Field(5000, ge=1)  # input records taken at once

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "NotifySettings":
        values = {name: env[ENV_PREFIX + name.upper()] for name in cls.model_fields
                  if ENV_PREFIX + name.upper() in env}
        return cls(**values)
