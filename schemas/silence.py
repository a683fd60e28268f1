"""A silence: a supervisor mutes notifications of a rule, a unit or a case (any
combination) for a time, with a reason. Created and ended through the console or its API
(`schemas/notify_command.py`); every version is kept (ClickHouse `notify_audit`)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.timefmt import CstDatetime

SILENCE_LABELS = ("rule_id", "unit_id", "case_id")


class Silence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    silence_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    rule_id: str | None = Field(None, min_length=1, max_length=64)
    unit_id: str | None = Field(None, min_length=1, max_length=32)
    case_id: str | None = Field(None, min_length=1, max_length=64)
    starts_at: CstDatetime
    ends_at: CstDatetime
    reason: str = Field(min_length=1, max_length=500)
    created_by: str = Field(min_length=1, max_length=64)
    created_at: CstDatetime
    expired_by: str | None = Field(None, min_length=1, max_length=64)
    version: int = Field(1, ge=1)  # bumped by every change

    @model_validator(mode="after")
    def _something_and_a_time(self):
        if not any(getattr(self, name) for name in SILENCE_LABELS):
            raise ValueError("a silence names a rule, a unit or a case")
        if self.ends_at <= self.starts_at:
            raise ValueError("a silence ends after it starts")
        if not self.reason.strip():
            raise ValueError("a silence needs a reason")
        return self

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def covers(self, labels: dict[str, str]) -> bool:
        return all(labels.get(name) == value for name in SILENCE_LABELS
                   if (value := getattr(self, name)) is not None)
