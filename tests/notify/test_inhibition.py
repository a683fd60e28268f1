"""Inhibition: an overdue warning holds back approaching ones sharing the equal labels,
and a warning that became overdue is not sent as approaching on a route for approaching."""

from notify.notifier import Notifier
from tests.notify.support import T0, config, seconds, warning

FILE = """
[[routes]]
name = "approaching"
match = { level = ["approaching"] }
receivers = ["duty"]
[[routes]]
name = "overdue"
match = { level = ["overdue"] }
receivers = ["leader"]

[[inhibit]]
source = { level = ["overdue"] }
target = { level = ["approaching"] }
equal = ["rule_id", "case_id", "person_id"]
"""


def test_an_overdue_warning_holds_back_approaching_ones_of_its_rule_and_person():
    n = Notifier(config(FILE))
    n.apply(warning("old", level="overdue"), T0)
    n.apply(warning("new", level="approaching"), T0)
    n.apply(warning("other", level="approaching", person="P2"), T0)
    sent = {m.receiver: [i.key for i in m.items] for m in n.tick(T0 + seconds(30))}
    assert sent == {"leader": ["warning/old"], "duty": ["warning/other"]}
    n.apply(warning("old", level="overdue", status="resolved"), T0 + seconds(60))
    sent = {m.receiver: [i.key for i in m.items] for m in n.tick(T0 + seconds(330))}
    assert sent == {"leader": ["warning/old"], "duty": ["warning/new"]}


def test_its_own_approaching_state_is_not_sent_once_it_is_overdue():
    n = Notifier(config(FILE))
    n.apply(warning("w1", level="approaching"), T0)
    n.apply(warning("w1", level="overdue"), T0 + seconds(10))
    sent = {m.receiver: [(i.key, i.change) for i in m.items] for m in n.tick(T0 + seconds(40))}
    assert sent == {"leader": [("warning/w1", "new")]}
