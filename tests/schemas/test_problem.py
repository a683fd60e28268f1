"""schemas/problem.py and rules/problem_entry.py: a problem record as every way in checks
it, with every reason it is refused."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from rules.problem_entry import InvalidProblem, accept_problem
from schemas.problem import Problem, ProblemSource
from schemas.problem_action import ProblemAction
from schemas.timefmt import CST
from tests.support.problem_records import GOOD, raw

NOW = datetime(2026, 1, 20, 10, tzinfo=CST)
def accept(value: bytes, key: bytes | None = b"CR-2026-0001") -> Problem:
    return accept_problem(value, key, NOW)


def test_a_good_record_is_accepted_and_written_back_the_same():
    problem = accept(raw())
    assert problem.source is ProblemSource.case_review and problem.person_id == "P1"
    assert json.loads(problem.to_json()) == {**GOOD, "evidence": []}


@pytest.mark.parametrize("change, reason", [
    ({"source": "platform"}, "source platform is the rules' own"),
    ({"source": "rumour"}, "source: Input should be"),
    ({"problem_type": "late_lunch"}, "unknown problem type 'late_lunch'"),
    ({"unit_id": ""}, "unit_id: String should have at least 1 character"),
    ({"description": "   "}, "description must not be blank"),
    ({"found_at": "2026-01-20T09:30:00"}, "found_at: Input should have timezone info"),
    ({"found_at": "2026-01-21T09:30:00+08:00"}, "found_at: 2026-01-21T09:30:00+08:00 is in the"),
    ({"found_at": 1768872600}, "found_at"),
    ({"case_id": ...}, "person_id needs the case_id"),
    ({"attachments": ["a\nb"]}, "attachments.0: String should match pattern"),
    ({"attachments": [f"f{i}" for i in range(21)]}, "attachments: List should have at most 20"),
    ({"found_by": "张 三"}, "found_by: String should match pattern"),
    ({"problem_id": "../x"}, "problem_id: String should match pattern"),
    ({"schema_version": 2}, "schema_version"),
    ({"extra": 1}, "extra: Extra inputs are not permitted"),
    ({"found_by_role": "boss"}, "found_by_role"),
    ({"unit_id": 3301}, "unit_id: Input should be a valid string"),
])
def test_malformed_records_are_refused_with_their_reason(change, reason):
    with pytest.raises(InvalidProblem) as exc:
        accept(raw(**change))
    assert any(reason in r for r in exc.value.reasons), exc.value.reasons


@pytest.mark.parametrize("value, reason", [
    (b"not json", "Invalid JSON"),
    (None, "no value"),
    (b"[]", "record: Input should be an object"),
    (b"x" * (64 * 1024 + 1), "over the 65536 byte limit"),
])
def test_not_a_record_at_all(value, reason):
    with pytest.raises(InvalidProblem) as exc:
        accept(value)
    assert any(reason in r for r in exc.value.reasons), exc.value.reasons


@pytest.mark.parametrize("key", [None, b"CR-2026-0002", b"\xff"])
def test_the_key_must_be_the_problem_id(key):
    with pytest.raises(InvalidProblem, match="the message key must be the problem_id"):
        accept(raw(), key)


def test_every_reason_is_given_at_once():
    with pytest.raises(InvalidProblem) as exc:
        accept_problem(raw(problem_type="nope", found_at="2027-01-01T00:00:00+08:00"), None, NOW)
    assert len(exc.value.reasons) == 3


def test_a_found_at_within_the_clock_skew_is_accepted():
    later = (NOW + timedelta(minutes=9)).astimezone(UTC).isoformat()
    assert accept(raw(found_at=later)).found_at == NOW + timedelta(minutes=9)


def test_an_action_on_a_problem_needs_a_note_to_rectify():
    base = dict(problem_id="P1", source="patrol", unit_id="U1", problem_type="other",
                actor_id="u1", actor_role="unit", acted_at=NOW)
    assert ProblemAction(action="acknowledge", **base).note == ""
    with pytest.raises(ValueError, match="a rectify action needs a note"):
        ProblemAction(action="rectify", **base)
