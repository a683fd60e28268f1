"""An action of monitoring staff on a warning: acknowledge, rectify, verify or send back.

Published to `<prefix>warning-actions`, key = case_id; the sink writes every action to
ClickHouse `warning_actions`. Actors are ids, never names.
"""

import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.timefmt import CstDatetime


class Action(StrEnum):
    acknowledge = "acknowledge"  # 确认: the unit has seen the warning
    rectify = "rectify"  # 整改: what the unit did about it
    verify = "verify"  # 核查通过: a supervisor accepts the rectification
    send_back = "return"  # 退回: a supervisor refuses it, with a reason


class ActorRole(StrEnum):
    unit = "unit"
    supervisor = "supervisor"


Step = Annotated[int | None, Field(ge=0, description=(
    "accepted actions on the warning or problem before this one; of two actions with the "
    "same step the first on the topic counts (None: written before steps existed)"))]

NOTE_REQUIRED = frozenset({Action.rectify, Action.send_back})


def check_note(action: Action, note: str) -> None:
    """A rectification says what was done, a return why: raise if the note is blank."""
    if action in NOTE_REQUIRED and not note.strip():
        raise ValueError(f"a {action} action needs a note")


class WarningAction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    action_id: str = Field(default_factory=lambda: uuid.uuid4().hex,
                           pattern=r"^[0-9a-f]{32}$", description="uuid4 hex, unique")
    warning_id: str = Field(min_length=1)
    case_id: str = Field(min_length=1)
    unit_id: str = Field(min_length=1)
    rule_id: str = Field(min_length=1)
    action: Action
    note: str = Field("", max_length=2000, description="what was done, or the reason")
    actor_id: str = Field(min_length=1, description="the actor's id, never a name")
    actor_role: ActorRole
    acted_at: CstDatetime
    step: Step = None

    @model_validator(mode="after")
    def _note_when_required(self) -> "WarningAction":
        check_note(self.action, self.note)
        return self
