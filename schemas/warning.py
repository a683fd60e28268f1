"""A warning: the state of one obligation or violation, as staff and sinks receive it."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.enums import Level, Status
from schemas.timefmt import CstDatetime


class LegalBasis(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str = Field(description="article, e.g. 'CPL 85②'")
    text_zh: str = Field(description="the law's sentence, quoted")


class Warning(BaseModel):
    """One warning's current state. Every change of it is published again, same warning_id."""

    model_config = ConfigDict(frozen=True)

    warning_id: Annotated[str, Field(description="stable id of the obligation or violation")]
    rule_id: str
    rule_kind: Literal["statutory", "policy", "system"] = Field(
        description="system: about casewatch itself, never counted in a unit's figures")
    level: Level
    status: Status
    late: bool | None
    case_id: str
    person_id: str | None
    unit_id: str
    due_at: CstDatetime | None
    resolved_at: CstDatetime | None
    changed_at: CstDatetime = Field(
        description="when the current level and status took effect, derived from the events"
    )
    evidence: list[str]
    basis: list[LegalBasis]
    message_zh: str
    message_en: str
    calendar_provisional: bool = Field(
        False, description="due counted with the fallback calendar (year not yet published)"
    )
    catalogue_version: str = Field(
        "", description="the rule set that produced this state: 'sha256:<hex>' (content hash "
        "of the catalogue, calendar, measures and scoring files), after a human version when "
        "there is one, e.g. '2026.12-1 (sha256:<hex>)'; '' for records written before"
    )
