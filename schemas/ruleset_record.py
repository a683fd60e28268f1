"""A record of the `rules` topic: one rule set (catalogue, calendar, measures, scoring) as
`casewatch rules apply` published it, keyed by its content hash (compacted: every version
stays readable). The worker switches a partition to it where the partition's marker
record says so (streams/rulesets.py)."""

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class RulesetRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    content_hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    human_version: str | None = None
    files: dict[str, str] = Field(description="each hashed file's text by its relative name")
    published_at: AwareDatetime
    published_by: str = Field(max_length=128, description="who applied it (an operator id)")


class RulesetMarker(BaseModel):
    """The value of a marker record on `case-events` (header `casewatch-control: ruleset`):
    from this offset on, the partition is evaluated under this rule set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    casewatch_control: Literal["ruleset"] = "ruleset"
    content_hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
