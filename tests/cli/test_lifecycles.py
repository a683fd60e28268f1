"""cli.lifecycles: deterministic, valid, realistic synthetic case lifecycles."""

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from random import Random

import pytest

from cli.lifecycles import DEFAULT_START, case_lifecycle, generate_events
from rules.engine import Engine
from schemas.event import parse_event
from schemas.event_types import EVENT_TYPES

FAR_FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return list(generate_events(20_000, seed=7))


@pytest.fixture(scope="module")
def warnings(events):
    engine = Engine()
    cases = defaultdict(list)
    for event in events:
        cases[event["case_id"]].append(parse_event(json.dumps(event)))
    return [w for evs in cases.values() for w in engine.evaluate_case(evs, FAR_FUTURE).warnings]


def test_same_seed_same_events_other_seed_other_events():
    first = list(generate_events(2_000, seed=5))
    assert first == list(generate_events(2_000, seed=5))
    assert first != list(generate_events(2_000, seed=6))


def test_case_lifecycle_is_deterministic_per_rng_state():
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    a = [case_lifecycle(Random(3), n, start) for n in range(1, 30)]
    b = [case_lifecycle(Random(3), n, start) for n in range(1, 30)]
    assert a == b and len({json.dumps(x) for x in a}) > 1


def test_exactly_n_events():
    assert list(generate_events(0)) == []
    assert len(list(generate_events(1))) == 1
    assert len(list(generate_events(777, seed=2))) == 777


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError):
        next(generate_events(10, start=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_every_event_is_valid_and_every_type_occurs(events):
    types = Counter()
    for event in events:
        parsed = parse_event(json.dumps(event, ensure_ascii=False).encode())
        types[parsed.event_type] += 1
    assert types.keys() == EVENT_TYPES.keys()


def test_ids_are_unique_except_deliberate_identical_duplicates(events):
    by_id = defaultdict(list)
    for event in events:
        by_id[event["event_id"]].append(event)
    repeated = {k: v for k, v in by_id.items() if len(v) > 1}
    assert all(len(v) == 2 and v[0] == v[1] for v in repeated.values())
    assert 0 < len(repeated) < 0.02 * len(events)


def test_case_events_come_in_time_order_and_each_case_once():
    seen_cases = []
    for n in range(1, 200):
        evs = case_lifecycle(Random(n), n, DEFAULT_START)
        instants = [parse_event(json.dumps(e)).occurred_at for e in evs]
        assert instants == sorted(instants)
        assert {e["case_id"] for e in evs} == {evs[0]["case_id"]}
        seen_cases.append(evs[0]["case_id"])
    assert len(set(seen_cases)) == len(seen_cases)


def test_ids_are_pseudonymous(events):
    for event in events:
        assert re.fullmatch(r"U\d{4}", event["unit_id"])
        assert "person_id" not in event or re.fullmatch(r"P\d+", event["person_id"])
        assert all(re.fullmatch(r"O\d+", o) for o in event["officer_ids"])
        for approval in event.get("details", {}).get("approvals", []):
            assert re.fullmatch(r"L\d+", approval["approver_id"])


def test_retractions_name_an_earlier_event_of_their_case(events):
    by_id = {e["event_id"]: e for e in events}
    retractions = [e for e in events if e["event_type"] == "event_retracted"]
    assert retractions
    for r in retractions:
        target = by_id[r["details"]["retracts_event_id"]]
        assert target["case_id"] == r["case_id"]
        assert parse_event(json.dumps(target)).occurred_at < parse_event(
            json.dumps(r)).occurred_at


def test_most_duties_are_met_a_few_late_or_never(events, warnings):
    duties = {  # rule: its trigger
        "det_transfer_to_jail": "detained", "det_first_interrogation": "detained",
        "det_family_notice": "detained", "det_arrest_request": "detained",
        "arrest_first_interrogation": "arrested", "arrest_family_notice": "arrested",
        "summons_duration": "summons_started", "custody_limit": "arrested",
        "adm_questioning": "admin_questioning_started", "adm_case_limit": "admin_case_accepted",
        "filing_review": "criminal_case_accepted",
        "continued_questioning": "continued_questioning_started",
        "continued_questioning_family_notice": "continued_questioning_started",
        "property_handover": "property_seized", "lawyer_meeting": "lawyer_meeting_requested",
        "admin_detention_family_notice": "admin_detention_decided",
    }
    triggers = Counter(e["event_type"] for e in {e["event_id"]: e for e in events}.values())
    for rule, trigger in duties.items():
        overdue = sum(w.rule_id == rule and w.level == "overdue" for w in warnings)
        share = overdue / triggers[trigger]
        assert 0.02 <= share <= 0.15, (rule, share)
    assert any(w.level == "approaching" and w.status == "resolved" for w in warnings)


def test_some_events_break_rules(warnings):
    violations = Counter(w.rule_id for w in warnings if w.level == "violation")
    assert set(violations) >= {
        "approval_insufficient", "notice_exemption_invalid", "extension_after_expiry",
        "det_extension_unjustified", "custody_extension_out_of_order", "summons_consecutive",
        "evidence_checklist",
    }
    assert sum(violations.values()) < 0.02 * 20_000


def test_seized_items_are_handed_over_and_disposed_of_by_their_own_id(events):
    seized = {e["details"]["property_id"] for e in events if e["event_type"] == "property_seized"}
    closing = [e for e in events if e["event_type"] in ("property_handed_over",
                                                        "property_disposed")]
    assert seized and closing
    assert {e["details"]["property_id"] for e in closing} <= seized
