"""web.open_set: the open warnings, their loop stage, and the numbered change feed."""

import json

from schemas.warning_action import WarningAction
from web.open_set import Item, OpenSet
from web.scope import Scope

W1 = ("warning", "W1")  # items are keyed by (kind, id)


def item(wid="W1", unit="U1", level="overdue", status="open", due="2026-05-01T10:00:00+08:00"):
    return Item(id=wid, rule_id="det_family_notice", level=level, status=status,
                case_id="C1", person_id="P1", unit_id=unit, due_at=due,
                changed_at="2026-05-01T10:00:00+08:00", message_zh="中", message_en="en",
                evidence=("e1",))


def action(kind, wid="W1", note="x", action_id=None):
    extra = {"action_id": action_id} if action_id else {}
    return WarningAction(warning_id=wid, case_id="C1", unit_id="U1", rule_id="R", action=kind,
                         note=note, actor_id="a", actor_role="unit",
                         acted_at="2026-05-01T10:00:00+08:00", **extra)


def events(s: OpenSet, last: int, scope=None):
    return [json.loads(d) for _, d in s.since(last, scope)]


def test_changes_are_numbered_and_replayed_after_a_point():
    s = OpenSet()
    start = s.seq
    s.apply_item(item("W1"))
    s.apply_item(item("W2", unit="U2"))
    s.apply_item(item("W1", level="violation"))
    s.apply_item(item("W1", level="violation"))  # same state again: no event
    assert s.seq == start + 3
    assert [e["op"] for e in events(s, start)] == ["upsert"] * 3
    assert [e["w"]["id"] for e in events(s, start + 1)] == ["W2", "W1"]
    assert events(s, s.seq) == []


def test_scope_filters_the_replay_and_the_snapshot():
    s = OpenSet()
    start = s.seq
    s.apply_item(item("W1", unit="U1"))
    s.apply_item(item("W2", unit="U2"))
    assert [e["w"]["id"] for e in events(s, start, Scope.exact({"U2"}))] == ["W2"]
    seq, rows = s.snapshot(Scope.exact({"U1"}))
    assert seq == s.seq and [r["id"] for r in rows] == ["W1"]


def test_a_resolved_warning_leaves_and_an_unknown_closed_one_is_ignored():
    s = OpenSet()
    s.apply_item(item("W1"))
    mark = s.seq
    s.apply_item(item("W1", status="resolved"))
    s.apply_item(item("W9", status="withdrawn"))
    assert events(s, mark) == [{"op": "remove", "kind": "warning", "id": "W1"}]
    assert W1 not in s.items


def test_an_id_outside_the_ring_asks_for_a_resync():
    s = OpenSet(ring_size=100)
    start = s.seq
    for n in range(150):
        s.apply_item(item(f"W{n}"))
    assert s.since(start, None) is None  # fell out of the ring
    assert s.since(s.seq + 5, None) is None  # from the future (another process)
    assert s.since(123, None) is None  # an earlier process's numbering
    assert len(s.since(s.seq - 100, None)) == 100


def test_actions_change_the_stage_once_and_a_verified_violation_leaves():
    s = OpenSet()
    s.apply_item(item("W1", level="violation"))
    ack = action("acknowledge")
    assert s.apply_action(ack) and not s.apply_action(ack)  # a replay is ignored
    assert s.view(s.items[W1])["stage"] == "acknowledged"
    s.apply_action(action("rectify"))
    mark = s.seq
    s.apply_action(action("verify"))
    assert events(s, mark) == [{"op": "remove", "kind": "warning", "id": "W1"}]
    s.apply_item(item("W1", level="violation"))  # the topic repeats it: stays closed
    assert W1 not in s.items


def test_a_verified_obligation_stays_until_resolved():
    s = OpenSet()
    s.apply_item(item("W1"))
    for kind in ("acknowledge", "rectify", "verify"):
        s.apply_action(action(kind))
    assert s.view(s.items[W1])["stage"] == "verified"


def test_subscribers_receive_their_units_only():
    s = OpenSet()
    mine, other = s.subscribe(Scope.exact({"U1"})), s.subscribe(None)
    s.apply_item(item("W1", unit="U1"))
    s.apply_item(item("W2", unit="U2"))
    assert mine.queue.qsize() == 1 and other.queue.qsize() == 2
    s.unsubscribe(mine)
    s.apply_item(item("W3", unit="U1"))
    assert mine.queue.qsize() == 1


def test_a_later_action_at_a_taken_step_is_ignored():
    s = OpenSet()
    s.apply_item(item("W1"))
    first = action("acknowledge", action_id="a" * 32).model_copy(update={"step": 0})
    second = action("acknowledge", action_id="b" * 32).model_copy(update={"step": 0})
    assert s.apply_action(first) and not s.apply_action(second)
    assert [a.action_id for a in s.actions_of(W1)] == ["a" * 32] and s.step_of(W1) == 1


def test_a_watched_warning_only():
    s = OpenSet()
    start = s.seq
    sub = s.subscribe(None, subject=("warning", "W2"))
    s.apply_item(item("W1"))
    s.apply_item(item("W2"))
    assert sub.queue.qsize() == 1
    assert [json.loads(d)["w"]["id"] for _, d in s.since(start, None, ("warning", "W2"))] == ["W2"]


def test_a_problem_and_a_warning_of_one_id_are_two_items_each_with_its_loop():
    from schemas.problem_action import ProblemAction

    s = OpenSet()
    s.apply_item(item("W1"))
    s.apply_item(Item(id="W1", rule_id="record_unsigned", level="problem", status="open",
                      case_id="", person_id=None, unit_id="U1", due_at=None,
                      changed_at="2026-05-01T10:00:00+08:00", message_zh="问题",
                      message_en="problem", evidence=(), rule_kind="problem", kind="problem",
                      source="patrol"))
    assert sorted(s.items) == [("problem", "W1"), W1]
    mark = s.seq
    for n, (kind, role) in enumerate((("acknowledge", "unit"), ("rectify", "unit"),
                                      ("verify", "supervisor"))):
        assert s.apply_action(ProblemAction(
            problem_id="W1", source="patrol", unit_id="U1", problem_type="record_unsigned",
            action=kind, note="x", actor_id="a", actor_role=role,
            acted_at="2026-05-01T10:00:00+08:00", step=n))
    assert events(s, mark)[-1] == {"op": "remove", "kind": "problem", "id": "W1"}
    assert list(s.items) == [W1] and s.stage_of(W1) == "new"  # the warning's own loop
    assert s.stage_of(("problem", "W1")) == "verified" and s.step_of(("problem", "W1")) == 3
