"""Settings of the web console, from CASEWATCH_WEB_* environment variables."""

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

ENV_PREFIX = "CASEWATCH_WEB_"


class WebSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    users_file: Path = Path("deploy/web-users.toml")
    #: signs session cookies; random per process when unset (sessions then end on restart)
    secret: SecretStr | None = None
    session_hours: float = Field(12.0, gt=0)
    session_idle_minutes: float = Field(30.0, gt=0)  # a session unused this long ends
    #: server-side sessions and screen tokens (SQLite; shared by the processes of a host)
    sessions_file: Path = Path(".state/web/sessions.sqlite3")
    secure_cookie: bool = False  # set when served over HTTPS (behind a TLS proxy)
    #: proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For is
    #: believed; the client address is the nearest one not in this list
    trusted_proxies: str = ""
    #: the origin browsers see (https://host[:port]); default: the request's Host header
    public_origin: str | None = None
    ring_size: int = Field(20000, ge=100)  # SSE events kept for Last-Event-ID replay
    login_failures: int = Field(5, ge=1)  # attempts per window per address; failures per
    # user before each further attempt waits (doubling, at most 30 s)
    login_window_seconds: float = Field(300.0, gt=0)
    hash_concurrency: int = Field(2, ge=1)  # password checks (argon2, 64 MiB each) at once
    streams_per_session: int = Field(4, ge=1)  # live streams one session may hold open
    streams_max: int = Field(2000, ge=1)  # live streams of the whole server
    stream_queue: int = Field(1000, ge=10)  # changes queued for one stream before it is cut
    stream_write_timeout_seconds: float = Field(10.0, gt=0)  # a stalled client is cut
    action_send_timeout_seconds: float = Field(5.0, gt=0)  # Kafka write of an action
    access_log_retention_days: int = Field(365, ge=180)  # audit rows kept in ClickHouse
    #: consumer group whose committed offsets on the warnings topic are known to be in
    #: ClickHouse; default "<app_id>-sink" (the worker's sink)
    snapshot_group: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "WebSettings":
        values = {name: env[ENV_PREFIX + name.upper()] for name in cls.model_fields
                  if ENV_PREFIX + name.upper() in env}
        return cls(**values)

    def proxies(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p.strip(), strict=False)
                for p in self.trusted_proxies.split(",") if p.strip()]

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # ValueError: refused
        return value

    def session_key(self) -> bytes:
        if self.secret is None:
            return secrets.token_urlsafe(32).encode()
        return self.secret.get_secret_value().encode()
