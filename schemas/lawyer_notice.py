"""A key-node notice to a defence lawyer (辩护律师重要执法节点告知), on
`<prefix>lawyer-notices`, key = case_id.

What node, when, and its legal basis — no names and no investigation detail. Which
notices exist is a pure function of a person's events (`rules/lawyer_notices.py`); the
notice id is stable, so a notice published again is the same notice.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.timefmt import CstDatetime
from schemas.warning import LegalBasis


class LawyerNotice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    notice_id: str = Field(pattern=r"^[0-9a-f]{24}$", description="stable id of the notice")
    lawyer_id: str = Field(min_length=1, max_length=64, description="the lawyer's id, never a name")
    case_id: str = Field(min_length=1, max_length=64)
    person_id: str = Field(min_length=1, max_length=64)
    unit_id: str = Field(min_length=1, max_length=32)
    node: str = Field(description="the key node: an event type of the contract")
    node_zh: str
    node_en: str
    occurred_at: CstDatetime = Field(description="when the node took legal effect")
    basis: list[LegalBasis]
