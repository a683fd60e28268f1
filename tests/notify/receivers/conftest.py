import pytest

from notify.notification import Item, Notification
from notify.render import render
from tests.notify.support import T0
from tests.support.receivers import HttpReceiver


@pytest.fixture
def http_receiver():
    receiver = HttpReceiver()
    yield receiver
    receiver.close()


def notification(n_items: int = 2, nid: str = "ab" * 16) -> Notification:
    items = [Item(key=f"warning/w{i}", change="new", level="overdue", status="open",
                  unit_id="U3301", rule_id="det_family_notice", case_id=f"C{i}",
                  person_id="P1", due_at=T0, message_zh="拘留后应在24小时内通知家属",
                  message_en="notify the family within 24 h", link=f"/warning/w{i}")
             for i in range(n_items)]
    return Notification(notification_id=nid, reason="route:units", receiver="r",
                        receiver_kind="webhook", group={"unit_id": "U3301"}, created_at=T0,
                        items=items)


@pytest.fixture
def sample():
    n = notification()
    return n, render(n, "https://cw.example")
