"""The problems entered into the loop, as the console knows them: every record (closed ones
too, for their explanations, search and the problems' export), and for each an item of
the work queue (web/open_set.py, `kind: "problem"`), where its actions are kept and its
stage follows from them, as a warning's (web/loop.py).

A problem's item: its type (rules/problems.toml) where a warning has its rule, level
`problem`, its source, found at as its time, and as its due the day it should be rectified
by (found at + `rectification.days` of rules/scoring.toml, the white paper's measure). Its
loop closes when a supervisor verifies it.
"""

import json
from datetime import timedelta

from rules.problem_types import problem_types
from rules.scoring import load_scoring
from schemas.problem import Problem
from schemas.problem_action import ProblemAction
from schemas.timefmt import format_cst
from web.open_set import PROBLEM, Item, OpenSet
from web.scope import Scope


class ProblemSet:
    def __init__(self, open_set: OpenSet | None = None, rectify_days: float | None = None):
        self.open_set = open_set if open_set is not None else OpenSet()
        self.problems: dict[str, Problem] = {}
        self.rectify_days = (load_scoring().rectify_days if rectify_days is None
                             else rectify_days)

    def clear(self) -> None:
        self.problems.clear()
        self.open_set.clear(PROBLEM)

    def apply_problem(self, problem: Problem) -> None:
        """A recorded problem (the first version of an id stays, as in the intake)."""
        if problem.problem_id not in self.problems:
            self.problems[problem.problem_id] = problem
            self.open_set.apply_item(self.item_of(problem))

    def apply_action(self, action: ProblemAction) -> bool:
        """Record an action once (by action_id) if it takes its step (web/open_set.py);
        False if it was already known or another action took its step."""
        return self.open_set.apply_action(action)

    def stage_of(self, problem_id: str) -> str:
        return self.open_set.stage_of((PROBLEM, problem_id))

    def actions_of(self, problem_id: str) -> list[ProblemAction]:
        return self.open_set.actions_of((PROBLEM, problem_id))

    def item_of(self, p: Problem) -> Item:
        found = problem_types().by_code.get(p.problem_type)
        return Item(
            id=p.problem_id, rule_id=p.problem_type, level=PROBLEM, status="open",
            case_id=p.case_id or "", person_id=p.person_id, unit_id=p.unit_id,
            due_at=format_cst(p.found_at + timedelta(days=self.rectify_days)),
            changed_at=format_cst(p.found_at), message_zh=p.description,
            message_en=p.description, evidence=tuple(p.evidence), rule_kind=PROBLEM,
            kind=PROBLEM, source=str(p.source),
            title_zh=found.title_zh if found else p.problem_type,
            title_en=found.title_en if found else p.problem_type)

    def view(self, p: Problem) -> dict:
        """The problem as its explanation, the problems' list and export show it."""
        item = self.item_of(p)
        found = problem_types().by_code.get(p.problem_type)
        return {
            "id": p.problem_id, "kind": PROBLEM, "source": item.source,
            "type": p.problem_type, "title_zh": item.title_zh, "title_en": item.title_en,
            "category": found.category if found else None,
            "case": p.case_id, "person": p.person_id, "unit": p.unit_id,
            "found_by": p.found_by, "found_by_role": str(p.found_by_role),
            "found_at": item.changed_at, "due": item.due_at, "description": p.description,
            "stage": self.stage_of(p.problem_id),
        }

    def is_open(self, problem_id: str) -> bool:
        """Its loop is open: it is an item of the work queue."""
        return (PROBLEM, problem_id) in self.open_set.items

    def items(self, scope: Scope, *, closed: bool = False) -> list[dict]:
        """The problems in scope, newest first; verified ones only with `closed`."""
        views = [self.view(p) for p in self.problems.values()
                 if scope.covers(p.unit_id) and (closed or self.is_open(p.problem_id))]
        return sorted(views, key=lambda v: (v["found_at"], v["id"]), reverse=True)

    def action_views(self, problem_id: str) -> list[dict]:
        return [json.loads(a.model_dump_json()) for a in self.actions_of(problem_id)]
