"""The routing file (`deploy/notify.toml`): receivers, units, routes, escalation policies,
inhibition rules — validated with errors that name the place and the problem.

Secrets are never in the file: a receiver names the environment variables that hold its
URL token, signing secret or password (`*_env`), and `load_config` fails, naming the
variable (never its value), when one is unset.
"""

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from notify.matchers import check_labels

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
UNIT_ROLE = re.compile(r"^@unit\.([a-z_][a-z0-9_]*)$")
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
NAME = r"^[A-Za-z0-9_.\-]{1,64}$"


def parse_duration(value) -> timedelta:
    """"30s", "5m", "2h", "3d", "250ms" -> timedelta; a number is seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).strip())
        if not match:
            raise ValueError(f"bad duration {value!r}: expected e.g. 30s, 5m, 2h, 3d")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 0:
        raise ValueError(f"negative duration {value!r}")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _as_tuple(value):
    if isinstance(value, str):
        return (value,)
    return tuple(value)


Patterns = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]
Matcher = dict[str, Patterns]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Receiver(_Strict):
    name: str = Field(pattern=NAME)
    timeout: Duration = timedelta(seconds=10)
    retries: int = Field(8, ge=0, le=100)  # attempts after the first, then `failed`
    backoff: Duration = timedelta(seconds=1)  # first wait, doubled per retry
    max_backoff: Duration = timedelta(seconds=60)

    def env_names(self) -> list[str]:
        return [v for k, v in self.model_dump().items() if k.endswith("_env") and v]


EnvName = Annotated[str, Field(pattern=ENV_NAME)]


class WebhookReceiver(_Receiver):
    """POST the notification as JSON; with `secret_env`, an HMAC-SHA256 of the body."""

    kind: Literal["webhook"]
    url: str | None = Field(None, pattern=r"^https?://")
    url_env: EnvName | None = None  # when the URL itself carries a token
    secret_env: EnvName | None = None

    @model_validator(mode="after")
    def _one_url(self):
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env")
        return self


class DingTalkReceiver(_Receiver):
    """DingTalk group robot (钉钉群机器人), public or private deployment."""

    kind: Literal["dingtalk"]
    url: str = Field("https://oapi.dingtalk.com/robot/send", pattern=r"^https?://")
    access_token_env: EnvName
    secret_env: EnvName | None = None  # 加签 secret (SEC...)


class WeComReceiver(_Receiver):
    """WeCom group robot (企业微信群机器人), public or private deployment."""

    kind: Literal["wecom"]
    url: str = Field("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", pattern=r"^https?://")
    key_env: EnvName


class EmailReceiver(_Receiver):
    kind: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    tls: bool = False  # implicit TLS (port 465)
    username: str | None = None
    password_env: EnvName | None = None
    sender: str = Field(alias="from", pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(min_length=1)

    @model_validator(mode="after")
    def _auth_pair(self):
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together")
        if self.tls and self.starttls:
            raise ValueError("tls (implicit) and starttls exclude each other")
        return self


class KafkaReceiver(_Receiver):
    """Publish each notification to a topic for in-house systems (key: notification id)."""

    kind: Literal["kafka"]
    topic: str = Field(pattern=r"^[A-Za-z0-9._\-]{1,249}$")


Receiver = Annotated[
    WebhookReceiver | DingTalkReceiver | WeComReceiver | EmailReceiver | KafkaReceiver,
    Field(discriminator="kind"),
]


class Grouping(_Strict):
    group_by: list[str] = ["unit_id"]
    group_wait: Duration = timedelta(seconds=30)
    group_interval: Duration = timedelta(minutes=5)
    max_items: int = Field(20, ge=1, le=500)  # digest cap: "... and N more"

    @field_validator("group_by")
    @classmethod
    def _known(cls, value):
        check_labels(value, "group_by")
        return value


class _Matching(_Strict):
    """A matcher and group_by naming only known labels."""

    @field_validator("match", check_fields=False)
    @classmethod
    def _labels(cls, value):
        check_labels(value, "match")
        return value

    @field_validator("group_by", check_fields=False)
    @classmethod
    def _group_labels(cls, value):
        if value is not None:
            check_labels(value, "group_by")
        return value


class Route(_Matching):
    name: str = Field(pattern=NAME)
    match: Matcher = {}
    receivers: list[str] = Field(min_length=1)
    group_by: list[str] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    max_items: int | None = Field(None, ge=1, le=500)
    continue_: bool = Field(False, alias="continue")  # go on to the next routes after a match

    def grouping(self, defaults: Grouping) -> Grouping:
        own = {k: v for k in Grouping.model_fields if (v := getattr(self, k)) is not None}
        return defaults.model_copy(update=own)


class Step(_Strict):
    """One escalation step: `after` the warning reached its level, or `before_due`."""

    after: Duration | None = None
    before_due: Duration | None = None
    receivers: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_time(self):
        if (self.after is None) == (self.before_due is None):
            raise ValueError("a step needs exactly one of after and before_due")
        return self


class Escalation(_Matching):
    name: str = Field(pattern=NAME)
    match: Matcher = {}
    #: loop stages (web/loop.py) that stop the escalation: someone is acting on it
    stop_at: list[Literal["acknowledged", "rectified", "verified", "returned"]] = [
        "acknowledged", "rectified", "verified"]
    steps: list[Step] = Field(min_length=1)
    group_by: list[str] = ["unit_id"]
    group_wait: Duration = timedelta(seconds=30)
    group_interval: Duration = timedelta(minutes=5)
    max_items: int = Field(20, ge=1, le=500)

    def grouping(self) -> Grouping:
        return Grouping(group_by=self.group_by, group_wait=self.group_wait,
                        group_interval=self.group_interval, max_items=self.max_items)


class Inhibit(_Strict):
    """An open item matching `source` holds back items matching `target` that share the
    `equal` labels (Alertmanager's inhibit_rules)."""

    source: Matcher
    target: Matcher
    equal: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _labels(self):
        check_labels(self.source, "inhibit.source")
        check_labels(self.target, "inhibit.target")
        check_labels(self.equal, "inhibit.equal")
        return self


class Config(_Strict):
    console_url: str = Field("http://127.0.0.1:8080", pattern=r"^https?://")
    defaults: Grouping = Grouping()
    receivers: list[Receiver] = []
    #: unit id (or "*" for any other unit) -> role -> receiver name; `@unit.<role>` in a
    #: route or step resolves to it for each item's unit
    units: dict[str, dict[str, str]] = {}
    routes: list[Route] = []
    escalations: list[Escalation] = []
    inhibit: list[Inhibit] = []

    @model_validator(mode="after")
    def _references(self):
        names = [r.name for r in self.receivers]
        _unique(names, "receiver")
        _unique([r.name for r in self.routes], "route")
        _unique([e.name for e in self.escalations], "escalation")
        known = set(names)
        roles = {role for roles in self.units.values() for role in roles}
        for unit, unit_roles in self.units.items():
            for role, receiver in unit_roles.items():
                if receiver not in known:
                    raise ValueError(f"units.{unit}.{role}: unknown receiver {receiver!r}")
        targets = [(f"routes[{r.name}]", r.receivers) for r in self.routes] + [
            (f"escalations[{e.name}].steps[{i}]", s.receivers)
            for e in self.escalations for i, s in enumerate(e.steps)]
        for where, receivers in targets:
            for ref in receivers:
                role = UNIT_ROLE.match(ref)
                if role is not None:
                    if role.group(1) not in roles:
                        raise ValueError(f"{where}: {ref!r} but no unit has the role "
                                         f"{role.group(1)!r} in [units]")
                elif ref not in known:
                    raise ValueError(f"{where}: unknown receiver {ref!r}")
        return self

    def receiver(self, name: str):
        return next(r for r in self.receivers if r.name == name)

    def resolve(self, ref: str, unit_id: str | None) -> str | None:
        """A receiver reference for an item's unit: a name, or `@unit.<role>` looked up in
        [units] (the unit's entry, else "*"); None when the unit has no such receiver."""
        role = UNIT_ROLE.match(ref)
        if role is None:
            return ref
        entry = self.units.get(unit_id or "") or self.units.get("*") or {}
        return entry.get(role.group(1))


def _unique(names: list[str], what: str) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"duplicate {what} name {name!r}")
        seen.add(name)


class ConfigError(ValueError):
    """The routing file cannot be used; the message says where and why."""


def load_config(path: Path, env: Mapping[str, str] = os.environ) -> "Loaded":
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: " + "; ".join(_problem(e) for e in exc.errors())) from None
    return Loaded(config, _secrets(config, env, path))


def _problem(error: dict) -> str:
    where = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _secrets(config: Config, env: Mapping[str, str], path: Path) -> dict[str, SecretStr]:
    missing, out = [], {}
    for receiver in config.receivers:
        for name in receiver.env_names():
            value = env.get(name)
            if not value:
                missing.append(f"receiver {receiver.name!r} needs the environment variable "
                               f"{name}, which is not set")
            else:
                out[name] = SecretStr(value)
    if missing:
        raise ConfigError(f"{path}: " + "; ".join(missing))
    return out


class Loaded:
    """A valid routing file with the secrets its receivers name (never shown in a repr)."""

    def __init__(self, config: Config, secrets: dict[str, SecretStr]):
        self.config = config
        self._secrets = secrets

    def secret(self, env_name: str | None) -> str | None:
        if env_name is None:
            return None
        return self._secrets[env_name].get_secret_value()

    def __repr__(self) -> str:
        return (f"Loaded({len(self.config.receivers)} receivers, "
                f"{len(self.config.routes)} routes)")
