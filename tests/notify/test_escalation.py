"""Escalation policies with a controllable clock: steps after the level, steps before the
due, stopped by acknowledging, re-armed by an extension; each step recorded once."""

from datetime import timedelta

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
