"""An action on a problem: acknowledge, rectify, verify or return, as on a warning.

Published to `<prefix>problem-actions`, key = problem_id; the sink writes every action to
ClickHouse `problem_actions`. Shaped like schemas/warning_action.py (problem_id and
problem_type where a warning action has warning_id and rule_id), with the same actions,
roles, notes and steps: of two actions taking the same step of one problem, the first on
the topic counts (the key keeps a problem's actions in one partition, in order).
"""

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.problem import ProblemSource
from schemas.timefmt import CstDatetime
from schemas.warning_action import Action, ActorRole, Step, check_note


class ProblemAction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    action_id: str = Field(default_factory=lambda: uuid.uuid4().hex,
                           pattern=r"^[0-9a-f]{32}$", description="uuid4 hex, unique")
    problem_id: str = Field(min_length=1, max_length=128)
    source: ProblemSource
    case_id: str | None = None
    unit_id: str = Field(min_length=1)
    problem_type: str = Field(min_length=1)
    action: Action
    note: str = Field("", max_length=2000, description="what was done, or the reason")
    actor_id: str = Field(min_length=1, description="the actor's id, never a name")
    actor_role: ActorRole
    acted_at: CstDatetime
    step: Step = None

    @model_validator(mode="after")
    def _note_when_required(self) -> "ProblemAction":
        check_note(self.action, self.note)
        return self
