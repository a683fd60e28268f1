"""sinks.decode for the loop's other records: an accepted problem -> `problems`, an action
on it -> `problem_actions`, a visit event on case-rows -> `events` and `visits`."""

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.problem_action import ProblemAction
from schemas.timefmt import CST
from sinks.clickhouse.rows import (
    EVENTS,
    PROBLEM_ACTION_COLUMNS,
    PROBLEM_ACTIONS,
    PROBLEM_COLUMNS,
    PROBLEMS,
    VISIT_COLUMNS,
    VISITS,
)
from sinks.decode import case_rows_message, problem_action_message, problem_record_message
from tests.support.problem_records import raw


def test_an_accepted_problem_becomes_its_row_with_the_offset_as_version():
    [(table, row)] = problem_record_message(raw(person_id=..., case_id=...), 17)
    data = dict(zip(PROBLEM_COLUMNS, row, strict=True))
    assert table == PROBLEMS
    assert (data["problem_id"], data["source"], data["problem_type"]) == (
        "CR-2026-0001", "case_review", "record_unsigned")
    assert (data["case_id"], data["person_id"], data["version"]) == ("", "", 17)
    assert data["found_at"] == datetime(2026, 1, 20, 9, 30, tzinfo=CST)
    assert data["attachments"] == ["dms://cases/C2026-001/12"]


def test_an_action_on_a_problem_becomes_its_row():
    action = ProblemAction(problem_id="CR-1", source="patrol", unit_id="U1",
                           problem_type="other", action="return", note="整改不到位",
                           actor_id="sup01", actor_role="supervisor",
                           acted_at="2026-01-22T10:00:00.5+08:00", step=3)
    [(table, row)] = problem_action_message(action.model_dump_json().encode(), 12)
    data = dict(zip(PROBLEM_ACTION_COLUMNS, row, strict=True))
    assert table == PROBLEM_ACTIONS
    assert (data["action"], data["note"], data["case_id"]) == ("return", "整改不到位", "")
    assert data["acted_at"] == datetime(2026, 1, 22, 10, tzinfo=CST)
    assert (data["step"], data["kafka_offset"]) == (3, 12)


def visit_event(event_type: str, **details) -> str:
    return json.dumps({
        "event_id": f"{event_type}-1", "schema_version": 1, "event_type": event_type,
        "occurred_at": "2026-01-05T10:00:00+08:00", "case_id": "C1", "case_kind": "criminal",
        "unit_id": "U3301", "details": {"visit_id": "V1", "party_role": "victim",
                                        "channel": "phone", **details}})


def rows_of(event: str) -> list:
    message = {"rows": [{"table": "events", "event": event, "partition": 0, "offset": 3,
                         "received_at": datetime(2026, 1, 5, tzinfo=UTC).isoformat()}]}
    return case_rows_message(json.dumps(message).encode())


@pytest.mark.parametrize("event_type, details, replied, satisfaction, comment", [
    ("visit_made", {}, None, "", ""),
    ("visit_result", {"replied": False}, 0, "", ""),
    ("visit_result", {"replied": True, "satisfaction": "unsatisfied", "comment_ref": "CMT-7"},
     1, "unsatisfied", "CMT-7"),
])
def test_a_visit_event_is_archived_and_gets_its_visit_row(event_type, details, replied,
                                                          satisfaction, comment):
    (events, _), (table, row) = rows_of(visit_event(event_type, **details))
    data = dict(zip(VISIT_COLUMNS, row, strict=True))
    assert (events, table) == (EVENTS, VISITS)
    assert (data["event_type"], data["visit_id"], data["unit_id"]) == (event_type, "V1", "U3301")
    assert (data["replied"], data["satisfaction"], data["comment_ref"]) == (
        replied, satisfaction, comment)


@pytest.mark.parametrize("value", [b"{}", b"not json", raw(source="platform"),
                                   raw(found_at="2026-01-20T09:30:00")])
def test_malformed_problem_records_raise(value):
    with pytest.raises(ValidationError):
        problem_record_message(value, 0)


def test_malformed_problem_actions_raise():
    with pytest.raises(ValidationError):
        problem_action_message(b'{"action": "verify"}')
