"""The notifier's state machine with a controllable clock: grouping, dedup, digests,
resolutions, and a restart from its persisted state."""

from notify.notifier import Notifier
from tests.notify.support import T0, config, seconds, warning


def keys(notification):
    return [(i.key, i.change) for i in notification.items]


def test_one_message_per_unit_after_group_wait():
    n = Notifier(config())
    n.apply(warning("w1"), T0)
    n.apply(warning("w2", unit="U2"), T0 + seconds(5))
    n.apply(warning("w3"), T0 + seconds(10))
    assert n.tick(T0 + seconds(29)) == []
    sent = n.tick(T0 + seconds(30))
    assert [(m.group, keys(m)) for m in sent] == [
        ({"unit_id": "U1"}, [("warning/w1", "new"), ("warning/w3", "new")])]
    assert [keys(m) for m in n.tick(T0 + seconds(35))] == [[("warning/w2", "new")]]


def test_a_repeat_is_never_sent_again_but_a_level_change_is():
    n = Notifier(config())
    n.apply(warning("w1", level="approaching"), T0)
    assert len(n.tick(T0 + seconds(30))) == 1
    n.apply(warning("w1", level="approaching"), T0 + seconds(40))  # republished after a crash
    assert n.tick(T0 + seconds(400)) == []
    n.apply(warning("w1", level="overdue"), T0 + seconds(500))
    [m] = n.tick(T0 + seconds(530))
    assert keys(m) == [("warning/w1", "escalated")]


def test_group_interval_spaces_the_next_messages():
    n = Notifier(config())
    n.apply(warning("w1"), T0)
    n.tick(T0 + seconds(30))
    n.apply(warning("w2"), T0 + seconds(40))
    assert n.tick(T0 + seconds(70)) == []  # group_wait passed, group_interval not
    [m] = n.tick(T0 + seconds(330))
    assert keys(m) == [("warning/w2", "new")]


def test_resolution_goes_where_the_open_state_went_and_the_subject_is_forgotten():
    n = Notifier(config())
    n.apply(warning("w1"), T0)
    n.tick(T0 + seconds(30))
    n.apply(warning("w1", status="resolved"), T0 + seconds(400))
    [m] = n.tick(T0 + seconds(430))
    assert keys(m) == [("warning/w1", "resolved")]
    assert "warning/w1" not in n.subjects


def test_closed_before_anyone_was_told_sends_nothing():
    n = Notifier(config())
    n.apply(warning("w1"), T0)
    n.apply(warning("w1", status="withdrawn"), T0 + seconds(10))
    assert n.tick(T0 + seconds(60)) == []
    assert n.subjects == {}


def test_digest_cap_lists_the_most_urgent_and_counts_the_rest():
    n = Notifier(config())
    n.apply(warning("a", level="approaching", due_at=T0 + seconds(9000)), T0)
    n.apply(warning("b", level="violation", due_at=None), T0)
    n.apply(warning("c", level="overdue"), T0)
    n.apply(warning("d", level="approaching", due_at=T0 + seconds(100)), T0)
    n.apply(warning("e", level="approaching", due_at=T0 + seconds(200)), T0)
    [m] = n.tick(T0 + seconds(30))
    assert [i.key for i in m.items] == ["warning/b", "warning/c", "warning/d"]
    assert m.more == 2
    n.apply(warning("e", level="approaching", due_at=T0 + seconds(200)), T0 + seconds(40))
    assert n.tick(T0 + seconds(1000)) == []  # the two counted as "more" were told too


def test_a_unit_without_a_receiver_is_counted_not_lost_silently():
    cfg = config("""
[[routes]]
name = "leaders"
match = { source = ["warning"] }
receivers = ["@unit.leader"]
""")
    n = Notifier(cfg)
    n.apply(warning("w1", unit="U9"), T0)  # "*" has no leader
    assert n.tick(T0 + seconds(60)) == []
    assert sum(n.unresolved.values()) >= 1


def test_restart_from_persisted_state_sends_nothing_twice_and_loses_nothing():
    n = Notifier(config())
    n.apply(warning("w1"), T0)
    n.apply(warning("w2", unit="U2"), T0)
    [first, second] = n.tick(T0 + seconds(30))
    n.result(first.notification_id, ok=True, error="", final=False)  # w1 delivered, w2 not
    n.apply(warning("w3"), T0 + seconds(31))  # decided nothing yet for w3
    state = {}
    for key, value in n.changes():
        state[key] = value
    again = Notifier(config())
    for key, value in state.items():
        if value is not None:
            again.restore(key, value)
    assert list(again.outbox) == [second.notification_id]  # to deliver again
    again.reevaluate(T0 + seconds(40))
    # the inputs are read again from the committed offsets: repeats change nothing
    for w in (warning("w1"), warning("w2", unit="U2"), warning("w3")):
        again.apply(w, T0 + seconds(41))
    later = again.tick(T0 + seconds(400))
    assert [keys(m) for m in later] == [[("warning/w3", "new")]]


def test_a_failed_notification_is_kept_and_a_retry_makes_it_pending():
    n = Notifier(config())
    n.apply(warning("w1"), T0)
    [m] = n.tick(T0 + seconds(30))
    held = n.result(m.notification_id, ok=False, error="HTTP 503", final=True)
    assert held.status == "failed" and held.attempts == 1
    assert n.retry(m.notification_id).status == "pending"
    assert n.retry("0" * 32) is None


def test_continue_sends_to_later_routes_too():
    cfg = config("""
[[routes]]
name = "copy"
match = { source = ["warning"] }
receivers = ["centre"]
continue = true
[[routes]]
name = "units"
match = { source = ["warning"] }
receivers = ["@unit.duty"]
""")
    n = Notifier(cfg)
    n.apply(warning("w1"), T0)
    sent = n.tick(T0 + seconds(30))
    assert sorted(m.receiver for m in sent) == ["centre", "duty"]
