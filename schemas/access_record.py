"""A read of personal data, an export or a login on the web console, for the audit trail
(等保 2.0: who read which person's record, when, from where).

Published to `<prefix>access-log`, key = actor id; the sink writes every record to
ClickHouse `access_log`. Ids only, never names; passwords never.
"""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.timefmt import CstDatetime

AccessAction = Literal[
    "login",  # a successful login (or a screen token enrolled)
    "login_failed",  # a refused password; actor_id is the id typed (cut to 64 characters)
    "logout",
    "read_warning",  # an explanation: the warning, its case, person, events and measures
    "read_measures",  # a page of the measure board
    "search",  # a search by case or person id
    "export",  # a CSV or Excel export of a view
    "read_audit",  # a page of this audit trail
]


class AccessRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    access_id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=r"^[0-9a-f]{32}$")
    at: CstDatetime
    actor_id: str = Field(max_length=64)
    actor_role: str = Field("", max_length=16, description="unit | supervisor | screen | ''")
    address: str = Field(max_length=64, description="the client's address")
    action: AccessAction
    target: str = Field("", max_length=512, description="warning id, query or file asked for")
    case_id: str = Field("", max_length=128)
    person_id: str = Field("", max_length=128)
    unit_id: str = Field("", max_length=64)
    rows: int = Field(0, ge=0, description="records shown or exported")
