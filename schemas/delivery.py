"""One delivery attempt of a notification, on `<prefix>notifications`; the sink writes
each to ClickHouse `notifications` (what was sent to whom, when, and what failed)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.timefmt import CstDatetime


class DeliveryAttempt(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    notification_id: str
    attempt: int = Field(ge=1)
    status: Literal["sent", "retrying", "failed"]
    receiver: str
    receiver_kind: str
    reason: str  # route:<name> or escalation:<policy>#<step>
    unit_id: str
    group_key: str  # the group's label values, "k=v,k=v"
    subjects: list[str]  # the items' subject keys (source/id)
    changes: list[str]  # each item's change: new, escalated, changed, resolved, step, notice
    more: int  # items beyond the digest cap
    title: str
    error: str = ""  # never a secret: receivers redact their tokens
    latency_ms: int = Field(ge=0)
    created_at: CstDatetime  # when the notification was decided
    attempted_at: CstDatetime
