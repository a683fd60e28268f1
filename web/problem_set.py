"""The problems entered into the loop and their actions, in memory, as the console shows
them: one item per problem, shaped like a warning of the open set (web/open_set.py) with
`kind: "problem"`, so the work queue can list both (docs/web.md, "Problems").

A problem's stage follows from its actions (web/loop.py, as a warning's); its loop closes
when a supervisor verifies it.
"""

import json
from datetime import datetime

from rules.problem_types import problem_types
from schemas.problem import Problem
from schemas.problem_action import ProblemAction
from schemas.timefmt import format_cst
from web.loop import stage
from web.scope import Scope

VERIFIED = "verified"


class ProblemSet:
    def __init__(self):
        self.problems: dict[str, Problem] = {}
        self.actions: dict[str, list[ProblemAction]] = {}
        self._action_ids: set[str] = set()

    def clear(self) -> None:
        self.problems.clear()
        self.actions.clear()
        self._action_ids.clear()

    def apply_problem(self, problem: Problem) -> None:
        """A recorded problem (the first version of an id stays, as in the intake)."""
        self.problems.setdefault(problem.problem_id, problem)

    def apply_action(self, action: ProblemAction) -> bool:
        """Record an action once (by action_id); False if it was already known."""
        if action.action_id in self._action_ids:
            return False
        self._action_ids.add(action.action_id)
        self.actions.setdefault(action.problem_id, []).append(action)
        return True

    def stage_of(self, problem_id: str) -> str:
        return stage(self.actions.get(problem_id, ()))

    def last_acted(self, problem_id: str) -> datetime | None:
        done = self.actions.get(problem_id)
        return done[-1].acted_at if done else None

    def view(self, p: Problem) -> dict:
        found = problem_types().by_code.get(p.problem_type)
        return {
            "id": p.problem_id, "kind": "problem", "source": str(p.source),
            "type": p.problem_type, "title_zh": found.title_zh if found else p.problem_type,
            "title_en": found.title_en if found else p.problem_type,
            "category": found.category if found else None,
            "case": p.case_id, "person": p.person_id, "unit": p.unit_id,
            "found_by": p.found_by, "found_by_role": str(p.found_by_role),
            "found_at": format_cst(p.found_at), "description": p.description,
            "stage": self.stage_of(p.problem_id),
        }

    def items(self, scope: Scope, *, closed: bool = False) -> list[dict]:
        """The problems in scope, newest first; verified ones only with `closed`."""
        views = [self.view(p) for p in self.problems.values() if scope.covers(p.unit_id)]
        views = [v for v in views if closed or v["stage"] != VERIFIED]
        return sorted(views, key=lambda v: (v["found_at"], v["id"]), reverse=True)

    def action_views(self, problem_id: str) -> list[dict]:
        return [json.loads(a.model_dump_json()) for a in self.actions.get(problem_id, ())]
