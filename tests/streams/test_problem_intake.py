"""streams.problem_intake, its decisions without Kafka: accept, dead-letter with reasons,
count a repeat once, refuse a conflicting body; the problem an unsatisfied visit opens."""

import json
from datetime import UTC, datetime

import pytest

from schemas.problem import ProblemSource
from streams.problem_intake import Outcome, body_hash, decide, visit_problem_id, visit_problems
from tests.support.problem_records import raw

SENT = datetime(2026, 1, 20, 2, tzinfo=UTC)
KEY = b"CR-2026-0001"


def test_a_new_problem_is_recorded():
    outcome = decide(raw(), KEY, SENT, {})
    assert outcome.problem.problem_id == "CR-2026-0001" and outcome.reasons == ()


def test_the_same_problem_again_counts_once():
    first = decide(raw(), KEY, SENT, {}).problem
    assert decide(raw(), KEY, SENT, {first.problem_id: body_hash(first)}) == Outcome()


def test_another_body_under_a_known_id_is_a_conflict():
    first = decide(raw(), KEY, SENT, {}).problem
    outcome = decide(raw(description="另一描述"), KEY, SENT, {first.problem_id: body_hash(first)})
    assert outcome.problem is None
    assert outcome.reasons == ("conflict: problem_id 'CR-2026-0001' is recorded already with "
                               "another body; the first version stays",)


@pytest.mark.parametrize("value, key, reason", [
    (b"{", KEY, "Invalid JSON"),
    (raw(problem_type="nope"), KEY, "unknown problem type"),
    (raw(), b"other", "the message key must be the problem_id"),
    (raw(found_at="2026-02-01T00:00:00+08:00"), KEY, "is in the future"),
])
def test_an_invalid_record_is_dead_lettered_with_its_reasons(value, key, reason):
    outcome = decide(value, key, SENT, {})
    assert outcome.problem is None and any(reason in r for r in outcome.reasons)


def case_rows(*events: dict) -> bytes:
    return json.dumps({"rows": [
        {"table": "events", "event": json.dumps(e, ensure_ascii=False), "partition": 0,
         "offset": i, "received_at": "2026-01-05T02:00:00+00:00"}
        for i, e in enumerate(events)]}, ensure_ascii=False).encode()


def visit_result(event_id: str, satisfaction: str | None, **extra) -> dict:
    details = {"visit_id": "V1", "party_role": "victim", "channel": "phone",
               "replied": satisfaction is not None, **extra}
    if satisfaction:
        details["satisfaction"] = satisfaction
    return {"event_id": event_id, "schema_version": 1, "event_type": "visit_result",
            "occurred_at": "2026-01-05T10:00:00+08:00", "case_id": "C1",
            "case_kind": "criminal", "unit_id": "U3301", "person_id": "PTY1",
            "details": details}


def test_an_unsatisfied_visit_opens_a_visit_problem_for_the_unit():
    value = case_rows(visit_result("r1", "satisfied"), visit_result("r2", None),
                      visit_result("r3", "unsatisfied", comment_ref="CMT-3"))
    (problem,) = visit_problems(value)
    assert problem.problem_id == visit_problem_id("C1", "r3")
    assert (problem.source, problem.problem_type, problem.unit_id, problem.case_id) == (
        ProblemSource.visit, "visit_unsatisfied", "U3301", "C1")
    assert (problem.found_by, problem.found_by_role, problem.evidence) == (
        "casewatch", "system", ["r3"])
    assert problem.attachments == ["CMT-3"] and "CMT-3" in problem.description
    assert visit_problems(value) == [problem]  # the same id and body every time


def test_messages_without_a_visit_result_are_skipped_unparsed():
    assert visit_problems(b'{"rows": [{"table": "measure_state"}]}') == []
    assert visit_problems(None) == []


def test_a_broken_case_rows_message_with_a_visit_raises():
    with pytest.raises(ValueError):
        visit_problems(b'{"rows": "visit_result"}')
