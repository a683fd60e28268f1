"""A daily bulletin (日通报) handed to the notifier, on `<prefix>bulletins`
(`casewatch report --day ... --send`, cli/report.py).

One record per day and scope (the whole bureau, or one unit): its id is derived from both,
`bulletin-YYYY-MM-DD[-UNIT]` (the documents' file stem), so sending the same bulletin again
is the same notification and the notifier delivers it once. The headline figures and where
the full documents are; ids only, never names.
"""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.timefmt import CstDatetime


def bulletin_id(day: date, unit_id: str | None) -> str:
    return f"bulletin-{day.isoformat()}" + (f"-{unit_id}" if unit_id else "")


class BulletinFigures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    new_warnings: int = Field(ge=0)  # approaching, overdue and violation raised that day
    new_problems: int = Field(ge=0)  # problems found that day, every source
    overdue_now: int = Field(ge=0)  # obligations overdue at the bulletin's instant
    rectified: int = Field(ge=0)  # loop actions that day
    verified: int = Field(ge=0)
    returned: int = Field(ge=0)
    units_clear: int = Field(ge=0)  # known units with nothing open


class BulletinRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    bulletin_id: str = Field(max_length=200)
    day: date
    unit_id: str | None = Field(None, min_length=1, max_length=32)  # None: every unit
    generated_at: CstDatetime
    figures: BulletinFigures
    html: str = Field(min_length=1, max_length=1000)  # the full documents' paths
    pdf: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _id_of_day_and_scope(self):
        want = bulletin_id(self.day, self.unit_id)
        if self.bulletin_id != want:
            raise ValueError(f"bulletin_id {self.bulletin_id!r} is not {want!r} "
                             "(derived from day and unit_id)")
        return self
