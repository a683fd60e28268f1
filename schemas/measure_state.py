"""Which coercive measure a person is under: one row per subject and measure."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas.timefmt import CstDatetime

MeasureName = Literal["summons", "detention", "arrest", "bail", "rs", "prosecution"]


class MeasureState(BaseModel):
    """`active` is true while the person is under the measure; `due_at` is its current limit."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    person_id: str
    unit_id: str
    measure: MeasureName
    active: bool
    since: CstDatetime
    until: CstDatetime | None
    due_at: CstDatetime | None
    evidence: list[str]
