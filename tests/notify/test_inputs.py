"""The input adapters: each topic's records as items or stages; malformed ones refused."""

import json

import pytest
from pydantic import ValidationError

from notify.inputs import (
    action_stage,
    notice_alert,
    problem_action_stage,
    problem_alert,
    warning_alert,
)
from rules.lawyer_notices import notice_id
from schemas.problem import Problem
from tests.support.problem_records import record

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


def test_an_accepted_problem_record_is_an_item_named_by_its_type():
    """A record as the problems intake writes it to problem-records (schemas/problem.py)."""
    accepted = Problem.model_validate_json(json.dumps(record())).to_json()
    alert = problem_alert(accepted)
    assert alert.key == "problem/CR-2026-0001" and alert.source == "problem/case_review"
    assert alert.status == "open" and alert.level == "problem" and alert.unit_id == "U3301"
    assert alert.message_zh.startswith("案件评查发现问题：") and "record_unsigned" not in (
        alert.message_zh)
    assert alert.link == "/problem/CR-2026-0001"  # the console's problem page
    # a unit's conduct has no case: the record says case_id null
    patrol = Problem.model_validate_json(json.dumps(record(source="patrol", case_id=None,
                                                           person_id=None)))
    assert problem_alert(patrol.to_json()).case_id == ""


def test_a_problem_action_gives_the_stage_it_leads_to():
    action = {"problem_id": "CR-2026-0001", "source": "case_review", "case_id": "C2026-001",
              "unit_id": "U3301", "problem_type": "record_unsigned", "action": "verify",
              "actor_id": "sup01", "actor_role": "supervisor",
              "acted_at": "2026-05-01T09:00:00+08:00"}
    assert problem_action_stage(json.dumps(action).encode()) == ("CR-2026-0001", "verified",
                                                                 None)
    assert problem_action_stage(json.dumps({**action, "step": 2}).encode())[2] == 2


def test_an_action_gives_the_stage_it_leads_to():
    action = {"warning_id": "w1", "case_id": "C1", "unit_id": "U1", "rule_id": "r",
              "action": "acknowledge", "actor_id": "u1", "actor_role": "unit",
              "acted_at": "2026-05-01T09:00:00+08:00"}
    assert action_stage(json.dumps(action).encode()) == ("w1", "acknowledged", None)
    assert action_stage(json.dumps({**action, "step": 0}).encode())[2] == 0


@pytest.mark.parametrize("adapter, value", [
    (warning_alert, b"not json"),
    (warning_alert, b'{"warning_id": "w1"}'),
    (notice_alert, json.dumps({**NOTICE, "lawyer_name": "张三"}).encode()),  # no names
    (notice_alert, json.dumps({**NOTICE, "notice_id": "short"}).encode()),
    (problem_alert, json.dumps({k: v for k, v in PROBLEM.items() if k != "source"}).encode()),
    (problem_alert, json.dumps({**PROBLEM, "found_at": "2026-05-02 10:00"}).encode()),
    (action_stage, b'{"action": "approve"}'),
    (problem_action_stage, b'{"problem_id": "P1", "action": "verify"}'),
])
def test_malformed_records_are_refused(adapter, value):
    with pytest.raises(ValidationError):
        adapter(value)
