"""Escalation policies with a controllable clock: steps after the level, steps before the
due, stopped by acknowledging, re-armed by an extension; each step recorded once."""

from datetime import timedelta

import pytest

from notify.alert import Alert
from notify.notifier import Notifier
from tests.notify.support import T0, config, seconds, warning

POLICIES = """
[[escalations]]
name = "overdue"
match = { level = ["overdue"] }
steps = [
  { after = "2h", receivers = ["@unit.leader"] },
  { after = "8h", receivers = ["centre"] },
]
group_wait = "0s"

[[escalations]]
name = "violation"
match = { level = ["violation"] }
steps = [{ after = "0s", receivers = ["centre"] }]
group_wait = "0s"

[[escalations]]
name = "custody"
match = { rule_id = ["custody_limit"], level = ["approaching"] }
stop_at = ["rectified"]
steps = [
  { before_due = "72h", receivers = ["@unit.duty"] },
  { before_due = "24h", receivers = ["@unit.duty"] },
]
group_wait = "0s"
"""
H = timedelta(hours=1)


def steps(sent):
    return sorted((m.receiver, m.reason) for m in sent)


def test_overdue_goes_to_the_leader_at_2h_and_the_centre_at_8h():
    n = Notifier(config(POLICIES))
    n.apply(warning("w1", changed_at=T0), T0)
    assert n.tick(T0 + 2 * H - seconds(1)) == []
    assert n.next_at() == T0 + 2 * H
    assert steps(n.tick(T0 + 2 * H)) == [("leader", "escalation:overdue#1")]
    assert n.tick(T0 + 5 * H) == []
    assert steps(n.tick(T0 + 8 * H)) == [("centre", "escalation:overdue#2")]
    assert n.tick(T0 + 20 * H) == []  # each step once


def test_acknowledging_stops_the_escalation():
    n = Notifier(config(POLICIES))
    n.apply(warning("w1", changed_at=T0), T0)
    assert len(n.tick(T0 + 2 * H)) == 1
    n.apply_stage("w1", "acknowledged", T0 + 3 * H)
    assert n.tick(T0 + 9 * H) == []


def test_acknowledged_between_firing_and_flush_sends_nothing():
    cfg = config(POLICIES.replace('group_wait = "0s"', 'group_wait = "30s"', 1))
    n = Notifier(cfg)
    n.apply(warning("w1", changed_at=T0), T0 + 2 * H)
    n.tick(T0 + 2 * H)
    n.apply_stage("w1", "acknowledged", T0 + 2 * H + seconds(10))
    assert n.tick(T0 + 2 * H + seconds(30)) == []


def test_a_violation_goes_to_the_centre_at_once():
    n = Notifier(config(POLICIES))
    n.apply(warning("v1", level="violation", due_at=None), T0)
    assert steps(n.tick(T0)) == [("centre", "escalation:violation#1")]


def test_custody_approaching_reminds_the_unit_72h_and_24h_before_due():
    due = T0 + 100 * H
    n = Notifier(config(POLICIES))
    n.apply(warning("c1", level="approaching", rule="custody_limit", due_at=due), T0)
    assert n.tick(due - 72 * H - seconds(1)) == []
    assert steps(n.tick(due - 72 * H)) == [("duty", "escalation:custody#1")]
    assert steps(n.tick(due - 24 * H)) == [("duty", "escalation:custody#2")]


def test_an_extension_moves_the_due_and_rearms_the_steps():
    due = T0 + 50 * H
    n = Notifier(config(POLICIES))
    n.apply(warning("c1", level="approaching", rule="custody_limit", due_at=due), T0)
    assert steps(n.tick(T0)) == [("duty", "escalation:custody#1")]  # within 72 h already
    later = due + 30 * 24 * H
    n.apply(warning("c1", level="approaching", rule="custody_limit", due_at=later), T0 + H)
    assert n.tick(T0 + 2 * H) == []
    assert steps(n.tick(later - 72 * H)) == [("duty", "escalation:custody#1")]


def test_rectifying_stops_the_custody_reminders():
    due = T0 + 100 * H
    n = Notifier(config(POLICIES))
    n.apply(warning("c1", level="approaching", rule="custody_limit", due_at=due), T0)
    n.apply_stage("c1", "acknowledged", T0 + H)  # not in this policy's stop_at
    assert len(n.tick(due - 72 * H)) == 1
    n.apply_stage("c1", "rectified", due - 50 * H)
    assert n.tick(due - 24 * H) == []


def test_each_step_is_recorded_in_the_state_and_survives_a_restart():
    n = Notifier(config(POLICIES))
    n.apply(warning("w1", changed_at=T0), T0)
    [m] = n.tick(T0 + 2 * H)
    n.result(m.notification_id, ok=True, error="", final=False)
    state = dict(n.changes())
    again = Notifier(config(POLICIES))
    for key, value in state.items():
        if value is not None:
            again.restore(key, value)
    again.reevaluate(T0 + 3 * H)
    assert again.tick(T0 + 3 * H) == []
    assert steps(again.tick(T0 + 8 * H)) == [("centre", "escalation:overdue#2")]


PROBLEM_POLICY = """
[[routes]]
name = "problems"
match = { source = ["problem/*"] }
receivers = ["@unit.duty"]
group_wait = "0s"

[[escalations]]
name = "problems"
match = { level = ["problem"] }
steps = [{ after = "24h", receivers = ["@unit.leader"] }]
group_wait = "0s"
"""


def problem(pid: str = "CR-1", status: str = "open") -> Alert:
    return Alert(source="problem/case_review", subject_id=pid, status=status, level="problem",
                 unit_id="U1", rule_id="record_unsigned", rule_kind="problem", case_id="C1",
                 changed_at=T0, message_zh=f"问题{pid}", message_en=f"problem {pid}",
                 link=f"/problem/{pid}", extra={"problem_type": "record_unsigned"})


def test_a_problem_acknowledged_stops_its_escalation_and_verified_resolves_it():
    n = Notifier(config(PROBLEM_POLICY))
    n.apply(problem(), T0)
    assert [m.receiver for m in n.tick(T0)] == ["duty"]
    n.apply_stage("CR-1", "acknowledged", T0 + 2 * H, kind="problem")
    assert n.tick(T0 + 30 * H) == []  # no step to the leader
    n.apply_stage("CR-1", "verified", T0 + 40 * H, kind="problem")
    [m] = n.tick(T0 + 40 * H)
    assert (m.receiver, [(i.key, i.change) for i in m.items]) == (
        "duty", [("problem/CR-1", "resolved")])
    assert "problem/CR-1" not in n.subjects
    n.apply(problem(), T0 + 41 * H)  # its record read again (a restart): stays closed
    assert n.tick(T0 + 42 * H) == [] and "problem/CR-1" not in n.subjects


def test_a_problem_verified_before_its_record_is_read_is_never_told():
    n = Notifier(config(PROBLEM_POLICY))
    n.apply_stage("CR-2", "verified", T0, kind="problem")  # topics are read side by side
    n.apply(problem("CR-2"), T0)
    assert n.tick(T0 + 30 * H) == [] and n.subjects == {}


def test_a_warnings_stage_is_not_a_problems():
    n = Notifier(config(PROBLEM_POLICY))
    n.apply(problem("x1"), T0)
    n.tick(T0)
    n.apply_stage("x1", "acknowledged", T0 + H)  # a warning of the same id
    assert [m.reason for m in n.tick(T0 + 24 * H)] == ["escalation:problems#1"]


def test_an_action_that_lost_its_step_neither_resolves_nor_stops():
    """Issue 12: a supervisor returned CR-3 at step 2 and another verified it at the same
    step; the console refused the second (the first on the topic takes the step), and so
    does the notifier: the problem stays open and its escalation goes on."""
    n = Notifier(config(PROBLEM_POLICY.replace('match = { level = ["problem"] }',
                                               'match = { level = ["problem"] }\n'
                                               'stop_at = ["verified"]')))
    n.apply(problem("CR-3"), T0)
    n.tick(T0)
    for step, stage in enumerate(["acknowledged", "rectified", "returned"]):
        n.apply_stage("CR-3", stage, T0 + H, kind="problem", step=step)
    n.apply_stage("CR-3", "verified", T0 + H, kind="problem", step=2)  # lost the race
    assert "problem/CR-3" in n.subjects and n.subjects["problem/CR-3"].alert.is_open
    assert [m.reason for m in n.tick(T0 + 24 * H)] == ["escalation:problems#1"]


def test_a_warnings_lost_action_does_not_stop_its_escalation_even_after_a_restart():
    n = Notifier(config(POLICIES))
    n.apply(warning("w1", changed_at=T0), T0)
    n.apply_stage("w1", "returned", T0 + H, step=0)  # (stages need not follow the loop here)
    n.apply_stage("w1", "acknowledged", T0 + H, step=0)  # lost: step 0 was taken
    assert steps(n.tick(T0 + 2 * H)) == [("leader", "escalation:overdue#1")]
    again = Notifier(config(POLICIES))
    for key, value in dict(n.changes()).items():
        if value is not None:
            again.restore(key, value)
    again.apply_stage("w1", "acknowledged", T0 + 3 * H, step=0)  # replayed loser: still lost
    assert again.stages["w1"] == "returned"
    again.apply_stage("w1", "acknowledged", T0 + 3 * H, step=1)  # the next step counts
    assert again.stages["w1"] == "acknowledged"


def test_actions_without_a_step_count_and_old_stage_records_are_read():
    n = Notifier(config(POLICIES))
    n.restore("k/w1", b"acknowledged")  # a stage record written before steps were kept
    n.apply_stage("w1", "rectified", T0, step=4)
    n.apply_stage("w1", "returned", T0)  # no step (written before steps existed): counts
    assert n.stages["w1"] == "returned"
    n.apply_stage("w1", "verified", T0, step=4)  # step 4 was taken
    assert n.stages["w1"] == "returned"


def test_a_malformed_stage_record_is_refused():
    with pytest.raises(ValueError):
        Notifier(config(POLICIES)).restore("k/w1", b"acknowledged two")
