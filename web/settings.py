"""Settings of the web console, from CASEWATCH_WEB_* environment variables."""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ENV_PREFIX = "CASEWATCH_WEB_"


class WebSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    users_file: Path = Path("deploy/web-users.toml")
    #: signs session cookies; random per process when unset (sessions then end on restart)
    secret: SecretStr | None = None
    session_hours: float = Field(12.0, gt=0)
    secure_cookie: bool = False  # set when served over HTTPS (behind a TLS proxy)
    ring_size: int = Field(20000, ge=100)  # SSE events kept for Last-Event-ID replay
    login_failures: int = Field(5, ge=1)  # failed logins allowed per window, per client and user
    login_window_seconds: float = Field(300.0, gt=0)
    #: consumer group whose committed offsets on the warnings topic are known to be in
    #: ClickHouse; default "<app_id>-sink" (the worker's sink)
    snapshot_group: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "WebSettings":
        values = {name: env[ENV_PREFIX + name.upper()] for name in cls.model_fields
                  if ENV_PREFIX + name.upper() in env}
        return cls(**values)

    def session_key(self) -> bytes:
        if self.secret is None:
            return secrets.token_urlsafe(32).encode()
        return self.secret.get_secret_value().encode()
