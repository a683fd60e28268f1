"""Key-node notices to defence lawyers: a pure function of a person's events and the
data in rules/lawyer_nodes.toml (quotes checked against the law texts)."""

import tomllib
from datetime import datetime, timedelta, timezone

import pytest

from rules.history import effective_retractions, in_force, ordered_unique
from rules.lawyer_notices import NODES_FILE, load_lawyer_nodes, notice_id
from rules.lawyer_notices import lawyer_notices as notices_of
from schemas.event import parse_event
from tests.rules.rulekit import LAW_DIR

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=CST)
NODES = load_lawyer_nodes()
ISSUE_NODES = {"detained", "family_notified", "arrest_requested", "arrest_approved",
               "arrest_denied", "custody_extended", "transferred_for_prosecution",
               "bail_started", "rs_started", "released", "case_closed",
               "lawyer_meeting_requested", "lawyer_meeting_held"}


def ev(n: int, event_type: str, hours: float, person: str | None = "P1", **details):
    body = {"event_id": f"E{n}", "schema_version": 1, "event_type": event_type,
            "occurred_at": (T0 + timedelta(hours=hours)).isoformat(), "case_id": "C1",
            "case_kind": "criminal", "unit_id": "U3301", "details": details}
    if person is not None:
        body["person_id"] = person
    return parse_event(__import__("json").dumps(body))


def notices(*events, person="P1"):
    ordered = ordered_unique(events)
    retracted, _ = effective_retractions(ordered)
    return notices_of(NODES, person, in_force(ordered, retracted))


def test_every_key_node_of_the_issue_is_in_the_data():
    assert ISSUE_NODES <= set(NODES.nodes)


def test_every_quote_is_in_the_law_text():
    data = tomllib.loads(NODES_FILE.read_text(encoding="utf-8"))
    quotes = [data["exclusion"]["basis"]] + [b for n in data["nodes"].values()
                                             for b in n["basis"]]
    for basis in quotes:
        assert basis["text_zh"] in (LAW_DIR / basis["law"]).read_text(encoding="utf-8"), \
            basis["ref"]


def test_nodes_while_a_lawyer_is_engaged_and_not_before_or_after():
    got = notices(ev(1, "detained", 0), ev(2, "lawyer_engaged", 2, lawyer_id="L1"),
                  ev(3, "family_notified", 3, measure="detention"),
                  ev(4, "arrest_requested", 40), ev(5, "lawyer_withdrawn", 50, lawyer_id="L1"),
                  ev(6, "arrest_approved", 60))
    assert [(n.lawyer_id, n.node) for n in got] == [("L1", "family_notified"),
                                                     ("L1", "arrest_requested")]
    first = got[0]
    assert first.notice_id == notice_id("L1", "C1", "P1", "E3")
    assert first.node_zh == "已通知家属" and first.basis[0].ref == "CPL 85②"
    assert first.occurred_at == T0 + timedelta(hours=3)


def test_each_engaged_lawyer_gets_each_node_and_case_level_nodes_count():
    got = notices(ev(1, "lawyer_engaged", 0, lawyer_id="L2"),
                  ev(2, "lawyer_engaged", 0, lawyer_id="L1"),
                  ev(3, "lawyer_meeting_requested", 1, lawyer_id="L1"),
                  ev(4, "case_closed", 5, person=None))
    assert [(n.lawyer_id, n.node) for n in got] == [
        ("L1", "lawyer_meeting_requested"), ("L2", "lawyer_meeting_requested"),
        ("L1", "case_closed"), ("L2", "case_closed")]
    assert len({n.notice_id for n in got}) == 4


def test_another_persons_lawyer_and_nodes_are_not_mixed():
    got = notices(ev(1, "lawyer_engaged", 0, person="P2", lawyer_id="L9"),
                  ev(2, "arrested", 1, person="P1"), ev(3, "arrested", 1, person="P2"))
    assert got == []
    got = notices(ev(1, "lawyer_engaged", 0, person="P2", lawyer_id="L9"),
                  ev(3, "arrested", 1, person="P2"), person="P2")
    assert [(n.person_id, n.node) for n in got] == [("P2", "arrested")]


@pytest.mark.parametrize("category, excluded", [("state_security", True),
                                                ("terrorism", True), (None, False)])
def test_cpl_39_3_cases_get_no_notices(category, excluded):
    flag = ev(9, "case_flagged_special", 10, person=None,
              **({"category": category} if category else {}))
    got = notices(ev(1, "lawyer_engaged", 0, lawyer_id="L1"), ev(2, "arrested", 1), flag)
    assert (got == []) is excluded


def test_a_retracted_node_gives_no_notice():
    got = notices(ev(1, "lawyer_engaged", 0, lawyer_id="L1"), ev(2, "arrested", 1),
                  ev(3, "event_retracted", 2, person=None, retracts_event_id="E2"))
    assert got == []


def test_the_record_carries_no_investigation_detail():
    [n] = notices(ev(1, "lawyer_engaged", 0, lawyer_id="L1"),
                  ev(2, "released", 1, reason="证据不足，嫌疑人张三"))
    assert "张三" not in n.model_dump_json() and "证据" not in n.model_dump_json()


def test_an_unknown_event_type_in_the_data_is_refused(tmp_path):
    path = tmp_path / "nodes.toml"
    path.write_text(NODES_FILE.read_text(encoding="utf-8") + '\n[nodes.no_such_event]\n'
                    'zh = "x"\nen = "x"\nbasis = []\n', encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_event"):
        load_lawyer_nodes(path)
