"""Daily bulletins (schemas/bulletin.py) in the notifier: routed by `kind = "bulletin"`
(and unit), decided at once, once per route and receiver whatever is sent again or
restarted, rendered for every receiver kind, logged, and refused when malformed."""

import json
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from pydantic import ValidationError

from notify.config import Loaded
from notify.delivery import Attempt
from notify.delivery_log import attempt_record
from notify.notifier import BULLETIN_KEPT, Notifier
from notify.receivers.base import payload
from notify.receivers.dingtalk import DingTalk
from notify.receivers.email import message
from notify.receivers.wecom import WeCom
from notify.render import render
from notify.service import NotifyService
from notify.settings import NotifySettings
from schemas.bulletin import BulletinRecord
from streams.settings import Settings
from tests.notify.support import ROUTES, T0, config, warning

BULLETIN_ROUTES = """
[[routes]]
name = "unit-bulletins"
match = { kind = ["bulletin"], unit_id = ["*"] }
receivers = ["@unit.duty"]
continue = true
[[routes]]
name = "bulletins"
match = { kind = ["bulletin"] }
receivers = ["centre"]
""" + ROUTES

FIGURES = {"new_warnings": 7, "new_problems": 2, "overdue_now": 3, "rectified": 4,
           "verified": 1, "returned": 0, "units_clear": 5}


def record(day: str = "2026-05-01", unit: str | None = None, **changes) -> dict:
    doc = {"bulletin_id": f"bulletin-{day}" + (f"-{unit}" if unit else ""), "day": day,
           "unit_id": unit, "generated_at": T0.isoformat(), "figures": dict(FIGURES),
           "html": f"/srv/reports/bulletin-{day}.html", "pdf": f"/srv/reports/bulletin-{day}.pdf"}
    doc.update(changes)
    return doc


def bulletin(**kw) -> BulletinRecord:
    return BulletinRecord.model_validate(record(**kw))


def test_a_bureau_bulletin_goes_at_once_to_the_centre_only():
    n = Notifier(config(BULLETIN_ROUTES))
    (sent,) = n.apply_bulletin(bulletin(), T0)  # no tick, no group_wait
    assert (sent.receiver, sent.reason, sent.items, sent.group) == (
        "centre", "route:bulletins", [], {})
    assert n.outbox[sent.notification_id] == sent
    assert n.tick(T0 + timedelta(hours=1)) == []


def test_a_units_bulletin_goes_to_its_duty_group_and_the_centre():
    n = Notifier(config(BULLETIN_ROUTES))
    sent = n.apply_bulletin(bulletin(unit="U1"), T0)
    assert [(s.receiver, s.reason) for s in sent] == [("duty", "route:unit-bulletins"),
                                                      ("centre", "route:bulletins")]
    assert {s.group["unit_id"] for s in sent} == {"U1"}


def test_routes_of_warnings_do_not_take_bulletins_and_a_warning_no_bulletin_route():
    n = Notifier(config(ROUTES))  # no route names kind = "bulletin"
    assert n.apply_bulletin(bulletin(unit="U1"), T0) == []
    n = Notifier(config(BULLETIN_ROUTES))
    n.apply(warning("w1"), T0)
    (digest,) = n.tick(T0 + timedelta(minutes=1))
    assert digest.reason == "route:units" and digest.bulletin is None


def test_sent_again_it_is_the_same_notification_and_not_delivered_twice():
    n = Notifier(config(BULLETIN_ROUTES))
    first = n.apply_bulletin(bulletin(unit="U1"), T0)
    assert n.apply_bulletin(bulletin(unit="U1"), T0 + timedelta(hours=1)) == []
    # another notifier (or the same id after the mark is gone) derives the same ids
    other = Notifier(config(BULLETIN_ROUTES)).apply_bulletin(bulletin(unit="U1"), T0)
    assert [s.notification_id for s in other] == [s.notification_id for s in first]
    # another day or scope is another bulletin
    assert len(n.apply_bulletin(bulletin(unit="U2"), T0)) == 2  # U2's duty (units."*") too
    assert len(n.apply_bulletin(bulletin(day="2026-05-02"), T0)) == 1


def test_after_a_restart_a_bulletin_sent_is_not_sent_again():
    n = Notifier(config(BULLETIN_ROUTES))
    n.apply_bulletin(bulletin(), T0)
    state = n.changes()
    assert ("b/bulletin-2026-05-01", b"2026-05-01") in state
    again = Notifier(config(BULLETIN_ROUTES))
    for key, value in state:
        again.restore(key, value)
    assert again.apply_bulletin(bulletin(), T0) == []
    assert len(again.outbox) == 1  # the undelivered notification is still to deliver


def test_the_mark_is_forgotten_after_the_kept_time_and_an_older_bulletin_not_sent():
    n = Notifier(config(BULLETIN_ROUTES))
    n.apply_bulletin(bulletin(), T0)
    n.changes()
    later = T0 + BULLETIN_KEPT + timedelta(days=2)
    n.tick(later)
    assert n.bulletins == {} and ("b/bulletin-2026-05-01", None) in n.changes()
    assert n.apply_bulletin(bulletin(), later) == []  # too old to be news


def _sent(unit: str | None = "U1"):
    return Notifier(config(BULLETIN_ROUTES)).apply_bulletin(bulletin(unit=unit), T0)[-1]


def test_rendered_chinese_first_with_figures_documents_and_console():
    r = render(_sent(), "https://cw.example")
    assert r.title == "【执法监督日通报】2026-05-01 U1 / casewatch daily bulletin"
    for text in (r.text, r.markdown, r.html):
        assert "新增预警 7 条，新增问题 2 个，当前超期 3 项；整改 4、核验 1、退回 0；" \
               "无未结事项单位 5 个" in text
        assert "/srv/reports/bulletin-2026-05-01.html" in text
        assert "/srv/reports/bulletin-2026-05-01.pdf" in text
        assert "https://cw.example/?unit=U1" in text
    assert r.text.index("新增预警") < r.text.index("new warnings 7")
    whole = render(_sent(unit=None), "https://cw.example")
    assert "全部单位 all units" in whole.title and "https://cw.example/" in whole.text


def test_every_receiver_kind_carries_it():
    sent = _sent()
    r = render(sent, "https://cw.example")
    doc = json.loads(payload(sent, r))  # webhook body and Kafka value
    assert doc["items"] == [] and doc["bulletin"]["figures"] == FIGURES
    assert doc["bulletin"]["bulletin_id"] == "bulletin-2026-05-01-U1"
    _, body = DingTalk(None, "https://dt.example", "tok", "sec", 5, "https://cw.example",
                       clock=lambda: 0).request(sent, r)
    assert "日通报" in json.loads(body)["markdown"]["text"]
    _, body = WeCom(None, "https://wc.example", "key", 5, "https://cw.example").request(sent, r)
    assert "当前超期 3 项" in json.loads(body)["markdown"]["content"]
    msg = message(sent, r, "cw@bureau.example", ["centre@bureau.example"])
    parsed = message_from_bytes(msg.as_bytes(), policy=default)
    assert parsed["Subject"] == r.title
    assert "新增预警 7 条" in parsed.get_body(("plain",)).get_content()
    assert "<h3>" in parsed.get_body(("html",)).get_content()


def test_the_delivery_log_names_the_bulletin():
    sent = _sent()
    log = attempt_record(sent.model_copy(update={"attempts": 1}),
                         Attempt(sent, True, "", True, 12, "t"), T0)
    assert (log.subjects, log.changes, log.unit_id) == (
        ["bulletin/bulletin-2026-05-01-U1"], ["bulletin"], "U1")


def test_the_id_must_be_the_days_and_the_scopes():
    with pytest.raises(ValidationError, match="derived from day and unit_id"):
        bulletin(unit="U1", bulletin_id="bulletin-2026-05-01")


@pytest.mark.parametrize("value", [
    b"{not json",
    json.dumps(record(bulletin_id="x")).encode(),  # id not of its day and scope
    json.dumps(record(figures={**FIGURES, "overdue_now": -1})).encode(),
    json.dumps(record(figures={k: v for k, v in FIGURES.items() if k != "verified"})).encode(),
    json.dumps(record(names=["张三"])).encode(),  # no field beyond the contract
    json.dumps(record(day="2026-13-01", bulletin_id="bulletin-2026-13-01")).encode(),
    json.dumps({**record(), "generated_at": "2026-05-01T12:00:00"}).encode(),  # no zone
    None,
])
def test_a_malformed_bulletin_is_refused_with_its_reason_for_the_dead_letter(value):
    service = NotifyService(Settings(), NotifySettings(), Loaded(config(BULLETIN_ROUTES), {}))
    to_submit = []
    reason = service._apply("casewatch.bulletins", value, T0, to_submit)
    assert reason and to_submit == [] and service.notifier.outbox == {}
    good = json.dumps(record()).encode()
    assert service._apply("casewatch.bulletins", good, T0, to_submit) is None
    assert len(to_submit) == 1
