"""web.loop: who may take which action at which stage."""

import pytest

from schemas.warning_action import WarningAction
from web.loop import NotAllowed, available, check, loop_closed, stage


def action(kind, note="done"):
    return WarningAction(warning_id="W", case_id="C", unit_id="U", rule_id="R", action=kind,
                         note=note, actor_id="a", actor_role="unit",
                         acted_at="2026-05-01T10:00:00+08:00")


def test_stage_follows_the_last_action():
    assert stage([]) == "new"
    assert stage([action("acknowledge")]) == "acknowledged"
    assert stage([action("acknowledge"), action("rectify"), action("return")]) == "returned"
    assert stage([action("acknowledge"), action("rectify"), action("verify")]) == "verified"


def test_the_happy_path_and_a_return():
    check("acknowledge", "unit", "new")
    check("rectify", "unit", "acknowledged")
    check("return", "supervisor", "rectified")
    check("rectify", "unit", "returned")
    check("verify", "supervisor", "rectified")


@pytest.mark.parametrize("act, role, at", [
    ("verify", "unit", "rectified"),          # units do not verify their own work
    ("rectify", "supervisor", "acknowledged"),
    ("acknowledge", "screen", "new"),
    ("rectify", "unit", "new"),               # acknowledge first
    ("verify", "supervisor", "acknowledged"),  # nothing to verify yet
    ("acknowledge", "unit", "acknowledged"),
    ("verify", "supervisor", "verified"),
])
def test_refused(act, role, at):
    with pytest.raises(NotAllowed):
        check(act, role, at)


def test_available_actions():
    assert available("unit", "new") == ["acknowledge"]
    assert available("supervisor", "rectified") == ["verify", "return"]
    assert available("screen", "new") == []


def test_loop_closed():
    assert loop_closed("violation", "open", "verified")
    assert not loop_closed("overdue", "open", "verified")  # obligations close when resolved
    assert loop_closed("overdue", "resolved", "new")
    assert not loop_closed("violation", "open", "rectified")
