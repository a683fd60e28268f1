"""web.problem_set: stages from actions, views shaped like warnings, scope, the closed loop."""

from datetime import datetime

from rules.problem_entry import accept_problem
from schemas.problem_action import ProblemAction
from schemas.timefmt import CST
from tests.support.problem_records import raw
from web.problem_set import ProblemSet
from web.scope import Scope

NOW = datetime(2026, 1, 21, tzinfo=CST)
ALL = Scope(None)


def problem(pid: str, unit: str = "U3301", found_at: str = "2026-01-20T09:30:00+08:00"):
    return accept_problem(raw(problem_id=pid, unit_id=unit, found_at=found_at), pid.encode(), NOW)


def action(pid: str, kind: str, n: int, role: str = "unit") -> ProblemAction:
    return ProblemAction(action_id=f"{n:032x}", problem_id=pid, source="case_review",
                         unit_id="U3301", problem_type="record_unsigned", action=kind,
                         note="done" if kind in ("rectify", "return") else "",
                         actor_id="u3301", actor_role=role, acted_at=NOW)


def test_a_problem_goes_round_the_loop_and_leaves_the_open_list():
    s = ProblemSet()
    s.apply_problem(problem("P1"))
    assert [v["id"] for v in s.items(ALL)] == ["P1"]
    v = s.items(ALL)[0]
    assert (v["kind"], v["source"], v["stage"], v["title_zh"]) == (
        "problem", "case_review", "new", "讯问笔录未逐页签名捺指印")
    for n, kind in enumerate(["acknowledge", "rectify", "return", "rectify"]):
        assert s.apply_action(action("P1", kind, n, "supervisor" if kind == "return" else "unit"))
    assert s.stage_of("P1") == "rectified"
    assert not s.apply_action(action("P1", "rectify", 3))  # the same action_id: once
    s.apply_action(action("P1", "verify", 9, "supervisor"))
    assert s.items(ALL) == [] and [v["stage"] for v in s.items(ALL, closed=True)] == [
        "verified"]
    assert len(s.action_views("P1")) == 5


def test_scope_order_and_the_first_version_of_an_id():
    s = ProblemSet()
    s.apply_problem(problem("P1", "U3301", "2026-01-19T09:00:00+08:00"))
    s.apply_problem(problem("P2", "U3302"))
    s.apply_problem(problem("P3", "U3301"))
    assert [v["id"] for v in s.items(ALL)] == ["P3", "P2", "P1"]  # newest first
    assert [v["id"] for v in s.items(Scope.exact({"U3302"}))] == ["P2"]
    s.apply_problem(problem("P2", "U3303"))  # another body under a known id: ignored
    assert s.problems["P2"].unit_id == "U3302"



