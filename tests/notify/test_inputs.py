"""The input adapters: each topic's records as items or stages; malformed ones refused."""

import json

import pytest
from pydantic import ValidationError

from notify.inputs import action_stage, notice_alert, problem_alert, warning_alert
from rules.lawyer_notices import notice_id

NOTICE = {"notice_id": notice_id("L1", "C1", "P1", "E3"), "lawyer_id": "L1",
          "case_id": "C1", "person_id": "P1", "unit_id": "U3301", "node": "arrested",
          "node_zh": "执行逮捕", "node_en": "arrest executed",
          "occurred_at": "2026-05-01T09:00:00+08:00",
          "basis": [{"ref": "CPL 93①", "text_zh": "公安机关逮捕人的时候，必须出示逮捕证。"}]}
PROBLEM = {"problem_id": "PB1", "source": "inspection", "unit_id": "U3302", "case_id": "C9",
           "person_id": None, "problem_type": "late_filing", "stage": "open",
           "found_at": "2026-05-02T10:00:00+08:00", "owner": "ignored"}


def test_a_lawyer_notice_is_an_item_for_its_lawyer_without_a_console_link():
    alert = notice_alert(json.dumps(NOTICE).encode())
    assert alert.key == f"lawyer_notice/{NOTICE['notice_id']}"
    assert alert.labels()["lawyer_id"] == "L1" and alert.link == ""
    assert "执行逮捕" in alert.message_zh and "CPL 93①" in alert.message_zh


def test_a_problem_routes_by_its_source_and_closes_with_its_stage():
    alert = problem_alert(json.dumps(PROBLEM).encode())
    assert alert.source == "problem/inspection" and alert.status == "open"
    assert alert.labels()["problem_type"] == "late_filing"
    closed = problem_alert(json.dumps({**PROBLEM, "stage": "verified"}).encode())
    assert closed.status == "resolved"


def test_an_action_gives_the_stage_it_leads_to():
    action = {"warning_id": "w1", "case_id": "C1", "unit_id": "U1", "rule_id": "r",
              "action": "acknowledge", "actor_id": "u1", "actor_role": "unit",
              "acted_at": "2026-05-01T09:00:00+08:00"}
    assert action_stage(json.dumps(action).encode()) == ("w1", "acknowledged")


@pytest.mark.parametrize("adapter, value", [
    (warning_alert, b"not json"),
    (warning_alert, b'{"warning_id": "w1"}'),
    (notice_alert, json.dumps({**NOTICE, "lawyer_name": "张三"}).encode()),  # no names
    (notice_alert, json.dumps({**NOTICE, "notice_id": "short"}).encode()),
    (problem_alert, json.dumps({k: v for k, v in PROBLEM.items() if k != "source"}).encode()),
    (problem_alert, json.dumps({**PROBLEM, "found_at": "2026-05-02 10:00"}).encode()),
    (action_stage, b'{"action": "approve"}'),
])
def test_malformed_records_are_refused(adapter, value):
    with pytest.raises(ValidationError):
        adapter(value)
