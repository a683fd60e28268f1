"""An obligation's life record: every deadline obligation, warned or not, as it stands.

Published on the case-rows topic (`{"table": "obligation_state", "state": ..., "version":
int}`) whenever it changes, so that obligations can be counted whether or not they ever
raised a warning (issue 12). `obligation_id` is the `warning_id` its warning has, or would
have if it reached a level.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.enums import Status
from schemas.timefmt import CstDatetime


class ObligationState(BaseModel):
    model_config = ConfigDict(frozen=True)

    obligation_id: str = Field(description="the warning_id of its warning, raised or not")
    rule_id: str
    rule_kind: Literal["statutory", "policy"]
    case_id: str
    person_id: str | None = Field(description="None for a case-level obligation")
    unit_id: str = Field(description="the unit of its trigger event")
    trigger_event_id: str
    triggered_at: CstDatetime
    due_at: CstDatetime = Field(description="the current due, after extensions")
    status: Status
    late: bool | None = Field(description="resolved after its due; None unless resolved")
    resolved_at: CstDatetime | None
    extensions: int = Field(ge=0, description="lawful extensions applied")
    level: Literal["approaching", "overdue"] | None = Field(
        description="the highest level it reached; None if it never reached one")
    changed_at: CstDatetime = Field(
        description="when its current state took effect, derived from the events")
    calendar_provisional: bool = Field(
        description="due counted with the fallback calendar (year not yet published)")


#: An `ObligationState` as published: its JSON form (`model_dump(mode="json")`). The worker
#: builds, compares and sends these directly, one per obligation and change; they validate
#: as the model (tests/rules/test_properties.py).
LifeRecord = dict[str, Any]
