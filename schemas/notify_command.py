"""Commands of staff to the notifier, on `<prefix>notify-commands` (key: the silence or
notification id): create or end a silence, retry a failed notification. The console and
its API publish them (supervisors only); the notifier applies them; the sink keeps every
one in ClickHouse `notify_audit`. Actors are ids, never names."""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.silence import Silence
from schemas.timefmt import CstDatetime


class NotifyCommand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    command_id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=r"^[0-9a-f]{32}$")
    command: Literal["silence", "expire", "retry"]
    actor_id: str = Field(min_length=1, max_length=64)
    actor_role: Literal["supervisor"]
    at: CstDatetime
    silence: Silence | None = None  # command "silence"
    silence_id: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")  # command "expire"
    notification_id: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")  # command "retry"

    @model_validator(mode="after")
    def _its_subject(self):
        need = {"silence": "silence", "expire": "silence_id", "retry": "notification_id"}
        if getattr(self, need[self.command]) is None:
            raise ValueError(f"a {self.command} command needs {need[self.command]}")
        return self

    @property
    def key(self) -> str:
        return self.notification_id or self.silence_id or self.silence.silence_id
