"""Properties of the pure engine (rules.engine): order, duplicates and the clock.

- Publication order means nothing and a repeated event is the same event: shuffling a
  case's events and publishing some twice never changes the warnings, their ids, the next
  instant or the measures.
- A warning escalates in place: evaluated at later and later instants, every warning_id
  keeps its rule, case and person, is never lost, and its level never goes down.

Histories come from two sources: realistic lifecycles (cli.lifecycles) and arbitrary
sequences of event types at arbitrary offsets, retractions and closures included.
"""

import json
from datetime import datetime, timedelta
from random import Random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.lifecycles import case_lifecycle
from schemas.event import EVENT_ADAPTER, Envelope, parse_event
from schemas.event_types import EVENT_TYPES
from tests.support.timeline import CaseTimeline, shared_engine

START = datetime.fromisoformat("2026-04-28T09:00:00+08:00")
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RANK = {"approaching": 1, "overdue": 2, "violation": 3}

# -- histories ---------------------------------------------------------------------------


@st.composite
def lifecycle_cases(draw) -> list[Envelope]:
    seed = draw(st.integers(0, 2**32 - 1))
    start = START + timedelta(minutes=draw(st.integers(0, 400 * 24 * 60)))
    return [parse_event(json.dumps(e)) for e in case_lifecycle(Random(seed), seed % 9999, start)]


APPROVALS = st.lists(
    st.fixed_dictionaries({"approver_id": st.sampled_from(["L1", "L2", "L3"]),
                           "role": st.sampled_from(["chief", "deputy", "legal", "unit_head"])}),
    max_size=3,
)
MEASURE = st.sampled_from(["detention", "arrest", "designated_rs", "admin_detention",
                           "continued_questioning"])
PROPERTY = st.fixed_dictionaries({"property_id": st.sampled_from(["X1", "X2"])})
DETAILS = {
    "summons_started": st.fixed_dictionaries({"kind": st.sampled_from(["summons"])}),
    "summons_extended": st.just({"approved_by": "L1"}),
    "detained": st.fixed_dictionaries(
        {"suspect_flags": st.lists(st.sampled_from(["roving", "repeated", "group"]), max_size=1)}),
    "detention_period_extended": st.fixed_dictionaries(
        {"to_days": st.sampled_from([7, 30]), "approved_by": st.just("L1")}),
    "family_notified": st.fixed_dictionaries({"measure": MEASURE}),
    "family_notice_exempted": st.fixed_dictionaries(
        {"measure": MEASURE,
         "reason": st.sampled_from(["cannot_notify", "hinders_investigation"])}),
    "notice_exemption_ended": st.fixed_dictionaries({"measure": MEASURE}),
    "custody_extended": st.fixed_dictionaries(
        {"basis": st.sampled_from(["cpl_156", "cpl_158", "cpl_159"]),
         "approved_by": st.just("L1")}),
    "custody_recounted": st.just({"reason": "new_major_crime"}),
    "bail_started": st.fixed_dictionaries({"approvals": APPROVALS}),
    "rs_started": st.fixed_dictionaries({"designated": st.booleans(), "approvals": APPROVALS}),
    "admin_questioning_extended": st.just({"approved_by": "L1"}),
    "admin_case_extended": st.just({"approved_by": "L1"}),
    "filing_review_extended": st.fixed_dictionaries(
        {"to_days": st.sampled_from([7, 30]), "approved_by": st.just("L1")}),
    "filing_decided": st.fixed_dictionaries({"filed": st.booleans()}),
    "continued_questioning_extended": st.just({"approved_by": "L1"}),
    "property_seized": PROPERTY,
    "property_handed_over": PROPERTY,
    "property_disposed": PROPERTY,
    "lawyer_meeting_requested": st.fixed_dictionaries({"approval_required": st.booleans()}),
    "document_filed": st.fixed_dictionaries({"doc_type": st.sampled_from(
        ["case_filing_decision", "rights_notice", "interrogation_record", "arrest_request_form",
         "prosecution_opinion"])}),
}
TYPES = sorted(set(EVENT_TYPES) - {"event_retracted"})
# Issue 14's rule families and the events that move them, drawn densely (among all types
# they would rarely meet in one short history).
FAMILY_TYPES = sorted({
    "criminal_case_accepted", "filing_review_extended", "filing_decided",
    "continued_questioning_started", "continued_questioning_extended",
    "continued_questioning_ended", "family_notified", "family_notice_exempted",
    "notice_exemption_ended", "released", "sent_to_jail", "property_seized",
    "property_handed_over", "property_disposed", "admin_case_decided", "case_closed",
    "admin_detention_decided", "admin_detention_executed", "lawyer_meeting_requested",
    "lawyer_meeting_held", "document_filed", "arrest_requested", "transferred_for_prosecution",
})
GAP = st.one_of(st.just(0), st.integers(0, 36 * 60), st.integers(0, 80 * 24 * 60))  # minutes


@st.composite
def arbitrary_cases(draw, types: list[str] = TYPES) -> list[Envelope]:
    n = draw(st.integers(1, 14))
    ids = draw(st.permutations([f"e{i:02d}" for i in range(n)]))  # id order unlike time order
    kind = draw(st.sampled_from(["criminal", "administrative"]))
    at = START
    raw: list[dict] = []
    for i in range(n):
        at += timedelta(minutes=draw(GAP))
        if raw and draw(st.integers(0, 9)) == 0:
            event_type = "event_retracted"
            target = draw(st.sampled_from([e["event_id"] for e in raw]))
            details = {"retracts_event_id": target}
        else:
            event_type = draw(st.sampled_from(types))
            details = draw(DETAILS.get(event_type, st.just({})))
        event = {
            "event_id": ids[i], "schema_version": 1, "event_type": event_type,
            "occurred_at": at.isoformat(), "case_id": "C1", "case_kind": kind, "unit_id": "U3301",
            "details": details,
        }
        if not EVENT_TYPES[event_type].case_level:
            event["person_id"] = draw(st.sampled_from(["P1", "P2"]))
        raw.append(event)
    return [EVENT_ADAPTER.validate_json(json.dumps(e, default=str)) for e in raw]


CASES = st.one_of(lifecycle_cases(), arbitrary_cases(), arbitrary_cases(FAMILY_TYPES))


def instants(events: list[Envelope]) -> list[datetime]:
    """Instants around the history: before, inside, at every event, and long after."""
    times = sorted(e.occurred_at for e in events)
    first, last = times[0], times[-1]
    around = [first - timedelta(hours=1), *times, last + timedelta(hours=13),
              last + timedelta(days=3), last + timedelta(days=400)]
    return sorted(set(around))


def outcome(events: list[Envelope], now: datetime):
    result = shared_engine().evaluate_case(events, now)
    warnings = sorted((w.model_dump() for w in result.warnings), key=lambda w: w["warning_id"])
    measures = sorted(m.model_dump_json() for m in result.measures)
    return warnings, result.next_at, measures


# -- properties --------------------------------------------------------------------------


@SETTINGS
@given(events=CASES, data=st.data())
def test_shuffling_and_duplicating_never_changes_the_outcome(events, data):
    copies = data.draw(st.lists(st.sampled_from(events), max_size=5), label="duplicated")
    replayed = data.draw(
        st.permutations([*events, *(parse_event(c.model_dump_json()) for c in copies)]),
        label="publication order",
    )
    nows = instants(events)
    for now in data.draw(st.lists(st.sampled_from(nows), min_size=1, max_size=3, unique=True)):
        expected = outcome(events, now)
        got = outcome(replayed, now)
        assert got[0] == expected[0], f"warnings differ at {now}"
        assert [w["warning_id"] for w in got[0]] == [w["warning_id"] for w in expected[0]]
        assert got[1:] == expected[1:], f"next_at or measures differ at {now}"


@SETTINGS
@given(events=CASES)
def test_warnings_escalate_in_place_as_the_clock_runs(events):
    seen: dict[str, tuple] = {}
    levels: dict[str, int] = {}
    for now in instants(events):
        current = {w.warning_id: w for w in shared_engine().evaluate_case(events, now).warnings}
        assert set(seen) <= set(current), f"warnings lost at {now}: {set(seen) - set(current)}"
        for wid, w in current.items():
            identity = (w.rule_id, w.case_id, w.person_id)
            assert seen.setdefault(wid, identity) == identity
            assert RANK[w.level] >= levels.get(wid, 0), f"{wid} ({w.rule_id}) went down at {now}"
            levels[wid] = RANK[w.level]


def test_two_retractions_at_one_instant_still_withdraw_the_warnings():
    case = CaseTimeline(case_id="C9")
    case.add("detained", event_id="d1")
    case.add("event_retracted", hours=30, event_id="r1", retracts_event_id="d1")
    case.add("event_retracted", hours=30, event_id="r2", retracts_event_id="d1")
    before = {w.warning_id for w in case.evaluate(hours=29)}
    after = {w.warning_id: w.status for w in case.evaluate(hours=31)}
    assert len(before) == 3 and after == dict.fromkeys(before, "withdrawn")
