"""An obligation's life, warned or not: one record per change, published by the worker on
the case-rows topic (`{"table": "obligation_state", "state": ..., "version": int}`).

Every obligation a rule opens has one: one met before its lead opened raises no warning but
still counts as due and met on time in the white paper. `obligation_id` equals the
`warning_id` the obligation's warning has (or would have), so actions on that warning
belong to it.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.enums import Level, Status
from schemas.timefmt import CstDatetime


class ObligationState(BaseModel):
    model_config = ConfigDict(frozen=True)

    obligation_id: str = Field(min_length=1)
    rule_id: str = Field(min_length=1)
    rule_kind: Literal["statutory", "policy"]
    case_id: str = Field(min_length=1)
    person_id: str | None = Field(description="None for a case-level obligation")
    unit_id: str = Field(min_length=1)
    trigger_event_id: str = Field(min_length=1)
    triggered_at: CstDatetime
    due_at: CstDatetime = Field(description="the current due, after extensions")
    status: Status
    late: bool | None = Field(description="resolved after due_at; None while not resolved")
    resolved_at: CstDatetime | None
    extensions: int = Field(ge=0, lt=2**16)
    level: Level | None = Field(description="the highest level reached: None, approaching "
                                            "or overdue")
    changed_at: CstDatetime
    calendar_provisional: bool = False


#: An `ObligationState` as the worker publishes it: its JSON form (`model_dump(mode="json")`).
#: The worker builds, compares and sends these directly, one per obligation and change;
#: they validate as the model (tests/rules/test_properties.py).
LifeRecord = dict[str, Any]
