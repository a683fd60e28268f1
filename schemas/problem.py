"""A problem found in a unit's case handling, from any kind of inspection.

The rules' warnings are one source (`platform`); the others are entered by people or other
systems — units' self-checks (自查), cross-checks (交叉检查), online patrols (网上巡查), case
reviews (案件评查) and satisfaction visits (访评) — as `Problem` records on the topic
`<prefix>problems` (docs/events.md, "Problems"), key = problem_id. Every problem then goes
round the same loop as a warning: new → acknowledged → rectified → verified, or returned
(schemas/problem_action.py). Actors and finders are ids, never names; attachments are
references to files kept elsewhere, never the files.
"""

import json
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from schemas.event import RFC3339_WITH_OFFSET
from schemas.timefmt import format_cst

MAX_PROBLEM_BYTES = 64 * 1024
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f\x7f]+$")]
ProblemId = Annotated[str, Field(
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$",
    description="unique per problem, chosen by whoever enters it: letters, digits, . _ : -")]
Reference = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[^\x00-\x1f\x7f]+$",
                                 description="where the file is kept, e.g. a document "
                                             "number or a URI; never the file itself")]


class ProblemSource(StrEnum):
    platform = "platform"  # 平台预警: the rules' warnings; never entered as a Problem
    self_check = "self_check"  # 自查
    cross_check = "cross_check"  # 交叉检查
    patrol = "patrol"  # 网上巡查
    case_review = "case_review"  # 案件评查
    visit = "visit"  # 执法社会化访评


SOURCE_ZH = {
    ProblemSource.platform: "平台预警",
    ProblemSource.self_check: "单位自查",
    ProblemSource.cross_check: "交叉检查",
    ProblemSource.patrol: "网上巡查",
    ProblemSource.case_review: "案件评查",
    ProblemSource.visit: "社会化访评",
}
ENTERED_SOURCES = tuple(s for s in ProblemSource if s is not ProblemSource.platform)


class FinderRole(StrEnum):
    inspector = "inspector"  # 督察/评查人员
    supervisor = "supervisor"  # 法制监督
    unit = "unit"  # the unit itself (self-check)
    system = "system"  # raised by casewatch (an unsatisfied visit)


class Problem(BaseModel):
    """One problem as it is entered; its stage follows from its actions."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    schema_version: Literal[1]
    problem_id: ProblemId
    source: ProblemSource
    unit_id: Annotated[str, Field(min_length=1, max_length=32)]
    case_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    person_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    problem_type: Annotated[str, Field(min_length=1, max_length=48,
                                       description="a code of rules/problems.toml")]
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    found_by: Id
    found_by_role: FinderRole
    found_at: Annotated[AwareDatetime, Field(json_schema_extra={"pattern": RFC3339_WITH_OFFSET})]
    attachments: Annotated[list[Reference], Field(max_length=20)] = []
    evidence: Annotated[list[Annotated[str, Field(min_length=1, max_length=128)]],
                        Field(max_length=50, description="event ids it rests on")] = []

    @model_validator(mode="after")
    def _consistent(self) -> "Problem":
        if self.source is ProblemSource.platform:
            raise ValueError("source platform is the rules' own: problems entered here come "
                             "from self_check, cross_check, patrol, case_review or visit")
        if self.person_id is not None and self.case_id is None:
            raise ValueError("person_id needs the case_id it belongs to")
        if not self.description.strip():
            raise ValueError("description must not be blank")
        return self

    def to_json(self) -> bytes:
        """The record as published: times in China Standard Time, whole seconds."""
        data = self.model_dump(mode="json")
        data["found_at"] = format_cst(self.found_at)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
