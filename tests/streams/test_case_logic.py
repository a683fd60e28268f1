"""streams.case_logic: messages and dues of one case, and what gets published when."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from schemas.event import EVENT_ADAPTER
from schemas.timefmt import format_cst
from streams.case_items import MemoryItems
from streams.case_logic import Arrival, CaseLogic, Outcome, conflict_reason
from tests.support.timeline import CaseTimeline, shared_engine

START = "2026-05-11T10:00:00+08:00"  # a Monday
CST = timezone(timedelta(hours=8))
DETENTION_RULES = ["det_family_notice", "det_first_interrogation", "det_transfer_to_jail"]


@pytest.fixture(scope="module")
def engine():
    return shared_engine()


@pytest.fixture
def case(engine):
    return CaseTimeline(start=START, engine=engine)


def at(hours: float) -> datetime:
    return datetime.fromisoformat(START) + timedelta(hours=hours)


def summary(outcome: Outcome) -> list[tuple[str, str, str]]:
    return sorted((w.rule_id, w.level.value, w.status.value) for w in outcome.warnings)


def measures(outcome: Outcome) -> list[tuple]:
    return [(m.person_id, m.measure, m.active, m.since, m.until, m.due_at, m.evidence)
            for m in outcome.measures]


def ids(outcome: Outcome) -> dict[str, str]:
    return {w.rule_id: w.warning_id for w in outcome.warnings}


def nothing(outcome: Outcome) -> bool:
    return (outcome.warnings, outcome.measures, outcome.archived) == ([], [], [])


def CaseState() -> CaseLogic:  # noqa: N802  (reads as the state it is)
    return CaseLogic("C1", shared_engine())


def apply_event(state: CaseLogic, event, now: datetime, engine, replay: bool = False) -> Outcome:
    """A new source message (or, with `replay`, one delivered again after a crash)."""
    offset = state.offset if replay else state.offset + 1
    return state.on_events([Arrival(event, event.model_dump_json().encode(), offset)], now)


def evaluate(state: CaseLogic, now: datetime, engine) -> Outcome:
    """The case's due has come (or not: then nothing is evaluated)."""
    return state.on_due(now)


def stored(state: CaseLogic, key: str) -> dict:
    return json.loads(state.published[key][1].model_dump_json())


def is_duplicate(outcome: Outcome) -> bool:
    return nothing(outcome) and outcome.duplicates == 1 and outcome.conflicts == []


# --- a new event ---------------------------------------------------------------------------

# (hours after the detention at which it arrives, warnings published, next_at in hours)
NEW_DETENTION = {
    "before any lead": (1, [], 20),
    "inside the lead": (21, [(r, "approaching", "open") for r in DETENTION_RULES], 24),
    "already overdue": (25, [(r, "overdue", "open") for r in DETENTION_RULES], 62),
}


@pytest.mark.parametrize("now,published,next_in", NEW_DETENTION.values(), ids=NEW_DETENTION)
def test_new_event_publishes_its_warnings(case, engine, now, published, next_in):
    event = case.add("detained")
    state = CaseState()
    outcome = apply_event(state, event, at(now), engine)
    assert summary(outcome) == published
    assert measures(outcome) == [
        ("P1", "detention", True, at(0), None, datetime(2026, 5, 15, tzinfo=CST), ["C1-e1"])]
    assert [a.event for a in outcome.archived] == [event]
    assert (outcome.conflicts, outcome.duplicates) == ([], 0)
    expected = {w.warning_id: w for w in case.evaluate(hours=now)}
    assert {w.warning_id: w for w in outcome.warnings} == expected
    assert state.events == {"C1-e1": event}
    assert state.next_due() == at(next_in).timestamp()
    assert state.version == 1
    levels = dict.fromkeys(["det_arrest_request", *DETENTION_RULES])
    levels.update({rule_id: level for rule_id, level, _ in published})
    assert {s["rule_id"]: (s["status"], s["level"]) for s in outcome.obligations} == {
        rule_id: ("open", level) for rule_id, level in levels.items()}
    assert {s["obligation_id"] for s in outcome.obligations} >= set(expected)
    assert set(state.published) == ({f"w:{wid}" for wid in expected} | {"m:P1:detention"}
                                    | {f"o:{s['obligation_id']}" for s in outcome.obligations})


def test_new_event_that_changes_no_warning_publishes_only_its_obligation(case, engine):
    state = CaseState()
    apply_event(state, case.add("detained"), at(1), engine)
    interrogation = case.add("interrogated", hours=3)
    outcome = apply_event(state, interrogation, at(4), engine)
    assert (outcome.warnings, outcome.measures) == ([], [])
    (resolved,) = outcome.obligations  # resolved in time: counted, never warned
    assert (resolved["rule_id"], resolved["status"], resolved["late"], resolved["level"]) == (
        "det_first_interrogation", "resolved", False, None)
    assert resolved["resolved_at"] == resolved["changed_at"] == format_cst(at(3))
    assert [a.event for a in outcome.archived] == [interrogation]  # still archived
    assert state.version == 2  # the life records' version
    assert set(state.events) == {"C1-e1", "C1-e2"}
    later = apply_event(state, case.add("interrogated", hours=5), at(6), engine)
    assert (later.warnings, later.measures, later.obligations) == ([], [], [])
    assert state.version == 2


# --- the same event again ------------------------------------------------------------------


def test_same_event_again_is_a_duplicate(case, engine):
    event = case.add("detained")
    state = CaseState()
    first = apply_event(state, event, at(21), engine)
    assert len(first.warnings) == 3
    before = dict(state.published)
    outcome = apply_event(state, event, at(21), engine)
    assert is_duplicate(outcome)
    assert state.published == before


def test_same_event_again_later_is_still_only_a_duplicate(case, engine):
    event = case.add("detained")
    state = CaseState()
    apply_event(state, event, at(21), engine)
    before = dict(state.published)
    # dues, not duplicates, drive the clock: nothing is evaluated here
    assert is_duplicate(apply_event(state, event, at(30), engine))
    assert state.published == before


def test_same_body_in_another_key_order_is_a_duplicate(case, engine):
    event = case.add("detained", suspect_flags=["roving"])
    state = CaseState()
    apply_event(state, event, at(21), engine)
    data = json.loads(event.model_dump_json())
    reordered = EVENT_ADAPTER.validate_json(json.dumps(dict(reversed(list(data.items())))))
    assert is_duplicate(apply_event(state, reordered, at(21), engine))


def test_same_body_with_unknown_keys_in_another_order_is_a_duplicate(engine):
    head = ('"event_id":"E-5","schema_version":1,"event_type":"released",'
            '"occurred_at":"2026-05-11T10:00:00+08:00","case_id":"C1","case_kind":"criminal",'
            '"person_id":"P1","unit_id":"U1"')
    first = EVENT_ADAPTER.validate_json(
        "{" + head + ',"x_src":"a","x_seq":1,"details":{"reason":"r","note":"n"}}')
    again = EVENT_ADAPTER.validate_json(
        '{"x_seq":1,"x_src":"a","details":{"note":"n","reason":"r"},' + head + "}")
    assert first == again  # the same event to the models
    state = CaseState()
    apply_event(state, first, at(1), engine)
    assert is_duplicate(apply_event(state, again, at(1), engine))


# --- a conflicting body --------------------------------------------------------------------

CONFLICTS = {
    "another instant": dict(event_type="detained", hours=1),
    "another type": dict(event_type="summons_started", kind="summons"),
    "other details": dict(event_type="detained", suspect_flags=["group"]),
    "another person": dict(event_type="detained", person_id="P2"),
}


@pytest.mark.parametrize("replay", [False, True], ids=["live", "replay"])
@pytest.mark.parametrize("change", CONFLICTS.values(), ids=CONFLICTS)
def test_conflicting_body_is_refused_and_changes_nothing(case, engine, change, replay):
    state = CaseState()
    apply_event(state, case.add("detained", event_id="E-1"), at(21), engine)
    before = (dict(state.events), dict(state.published), state.version)
    other = CaseTimeline(start=START, engine=engine)
    change = dict(change)
    conflicting = other.add(change.pop("event_type"), event_id="E-1", **change)
    outcome = apply_event(state, conflicting, at(22), engine, replay=replay)
    assert [(a.event, reason) for a, reason in outcome.conflicts] == [
        (conflicting, conflict_reason("E-1"))]
    assert nothing(outcome)
    assert conflict_reason("E-1") == (
        "event_id 'E-1' was seen before with a different body; the first stays")
    assert (dict(state.events), dict(state.published), state.version) == before


# --- a replay ------------------------------------------------------------------------------


def test_replay_republishes_the_whole_current_state(case, engine):
    event = case.add("detained")
    state = CaseState()
    first = apply_event(state, event, at(21), engine)
    outcome = apply_event(state, event, at(21), engine, replay=True)
    assert sorted(w.model_dump_json() for w in outcome.warnings) == sorted(
        w.model_dump_json() for w in first.warnings)
    assert sorted(map(json.dumps, outcome.obligations)) == sorted(
        map(json.dumps, first.obligations))
    assert outcome.measures == first.measures
    assert [a.event for a in outcome.archived] == [event]  # archived again
    assert (outcome.duplicates, outcome.conflicts) == (0, [])
    assert state.version == 2  # the measures went out again, with a higher version
    # and once republished, a plain tick at the same instant has nothing new
    assert nothing(evaluate(state, at(21), engine))


def test_replay_of_an_unknown_event_publishes_everything(case, engine):
    state = CaseState()
    apply_event(state, case.add("detained"), at(21), engine)
    interrogation = case.add("interrogated", hours=21)
    outcome = apply_event(state, interrogation, at(21.5), engine, replay=True)
    assert summary(outcome) == [
        ("det_family_notice", "approaching", "open"),
        ("det_first_interrogation", "approaching", "resolved"),
        ("det_transfer_to_jail", "approaching", "open"),
    ]
    assert [m.measure for m in outcome.measures] == ["detention"]
    assert (outcome.duplicates, [a.event for a in outcome.archived]) == (0, [interrogation])


def test_replay_republishes_withdrawn_warnings_too(case, engine):
    state = CaseState()
    apply_event(state, case.add("detained"), at(21), engine)
    notice = case.add("family_notified", hours=2, measure="detention")
    apply_event(state, notice, at(22), engine)
    outcome = apply_event(state, notice, at(22), engine, replay=True)
    assert summary(outcome) == [
        ("det_family_notice", "approaching", "withdrawn"),
        ("det_first_interrogation", "approaching", "open"),
        ("det_transfer_to_jail", "approaching", "open"),
    ]
    assert [m.measure for m in outcome.measures] == ["detention"]


# --- ticks ---------------------------------------------------------------------------------


def test_ticks_publish_only_what_changed(case, engine):
    state = CaseState()
    first = apply_event(state, case.add("detained"), at(21), engine)
    version = state.version
    steps = [
        (22, []),
        (23.99, []),
        (24, [(r, "overdue", "open") for r in DETENTION_RULES]),  # due is inclusive
        (25, []),
        (48, []),
    ]
    for hours, expected in steps:
        outcome = evaluate(state, at(hours), engine)
        assert summary(outcome) == expected, hours
        assert outcome.measures == [], hours
        assert sorted((o["rule_id"], o["level"]) for o in outcome.obligations) == [
            (r, level) for r, level, _ in expected], hours
        if expected:
            assert ids(outcome) == ids(first)  # the same warning ids, a new state
    assert state.version == version + 1  # the life records went out once more


def test_tick_from_approaching_to_overdue_record(case, engine):
    state = CaseState()
    apply_event(state, case.add("detained"), at(21), engine)
    outcome = evaluate(state, at(25), engine)
    family = next(w for w in outcome.warnings if w.rule_id == "det_family_notice")
    assert (family.level.value, family.status.value, family.late) == ("overdue", "open", None)
    assert family.due_at == at(24)
    assert family.changed_at == at(24)
    assert stored(state, f"w:{family.warning_id}")["level"] == "overdue"


def test_tick_on_an_empty_state_publishes_nothing(engine):
    state = CaseState()
    assert nothing(evaluate(state, at(0), engine))
    assert (state.next_due(), state.version, state.published) == (None, 0, {})


# --- late events that withdraw a published warning -----------------------------------------


def test_late_event_withdraws_a_published_warning_once(case, engine):
    state = CaseState()
    first = apply_event(state, case.add("detained"), at(21), engine)
    published = {w.rule_id: w for w in first.warnings}
    late = case.add("family_notified", hours=2, measure="detention")  # long before the lead
    outcome = apply_event(state, late, at(22), engine)
    assert [a.event for a in outcome.archived] == [late]
    assert outcome.measures == []
    (withdrawn,) = outcome.warnings
    old = published["det_family_notice"]
    assert withdrawn.warning_id == old.warning_id
    assert (withdrawn.rule_id, withdrawn.level.value, withdrawn.status.value) == (
        "det_family_notice", "approaching", "withdrawn")
    assert (withdrawn.late, withdrawn.resolved_at, withdrawn.due_at) == (None, None, at(24))
    assert withdrawn.changed_at == old.changed_at == at(20)  # never earlier than published
    assert withdrawn.evidence == ["C1-e1"]
    assert withdrawn.message_en.endswith("(withdrawn)")
    # later evaluations never publish it again
    for hours, expected in [(23, []), (25, [("det_first_interrogation", "overdue", "open"),
                                            ("det_transfer_to_jail", "overdue", "open")]),
                            (61, []), (62, [("det_arrest_request", "approaching", "open")]),
                            (200, [("det_arrest_request", "overdue", "open")])]:
        assert summary(evaluate(state, at(hours), engine)) == expected, hours


def test_withdrawn_warning_is_not_republished_by_later_events(case, engine):
    state = CaseState()
    first = apply_event(state, case.add("detained"), at(21), engine)
    apply_event(state, case.add("family_notified", hours=2, measure="detention"), at(22), engine)
    for event_type, hours in [("interrogated", 22.5), ("sent_to_jail", 30), ("arrested", 40)]:
        outcome = apply_event(state, case.add(event_type, hours=hours), at(hours + 0.5), engine)
        assert "det_family_notice" not in ids(outcome), event_type
    held = stored(state, "w:" + ids(first)["det_family_notice"])
    assert (held["status"], held["changed_at"]) == ("withdrawn", "2026-05-12T06:00:00+08:00")


def test_withdrawn_changed_at_is_the_latest_event_when_later_than_published(case, engine):
    state = CaseState()
    first = apply_event(state, case.add("detained"), at(21), engine)
    jail = case.add("sent_to_jail", hours=23)  # in the lead: resolves its warning
    outcome = apply_event(state, jail, at(23.5), engine)
    assert summary(outcome) == [("det_transfer_to_jail", "approaching", "resolved")]
    late = case.add("interrogated", hours=1)  # before the lead: never due
    outcome = apply_event(state, late, at(23.6), engine)
    (withdrawn,) = outcome.warnings
    assert withdrawn.warning_id == ids(first)["det_first_interrogation"]
    assert withdrawn.status.value == "withdrawn"
    assert withdrawn.changed_at == at(23)  # the latest event of the case, after t+20


def test_withdrawn_warning_raised_again_is_published_again(case, engine):
    state = CaseState()
    first = apply_event(state, case.add("detained"), at(21), engine)
    notice = case.add("family_notified", hours=2, measure="detention")
    apply_event(state, notice, at(22), engine)
    retraction = case.add("event_retracted", hours=26, retracts_event_id=notice.event_id)
    outcome = apply_event(state, retraction, at(26), engine)
    # raised again (now overdue), alongside the two that went overdue since t+24
    assert summary(outcome) == [(r, "overdue", "open") for r in DETENTION_RULES]
    assert ids(outcome) == ids(first)


def test_retracted_trigger_withdraws_each_warning_once(case, engine):
    state = CaseState()
    detained = case.add("detained")
    apply_event(state, detained, at(21), engine)
    retraction = case.add("event_retracted", hours=22, retracts_event_id=detained.event_id)
    outcome = apply_event(state, retraction, at(22), engine)
    assert summary(outcome) == [(r, "approaching", "withdrawn") for r in DETENTION_RULES]
    assert all(w.evidence == ["C1-e1", "C1-e2"] for w in outcome.warnings)
    assert state.next_due() is None
    assert nothing(evaluate(state, at(30), engine))


def test_retracted_measure_start_publishes_the_measure_as_ended(case, engine):
    state = CaseState()
    detained = case.add("detained")
    apply_event(state, detained, at(21), engine)
    retraction = case.add("event_retracted", hours=22, retracts_event_id=detained.event_id)
    outcome = apply_event(state, retraction, at(22), engine)
    assert [(m.person_id, m.measure, m.active) for m in outcome.measures] == [
        ("P1", "detention", False)]


# --- measures ------------------------------------------------------------------------------


def test_detention_then_arrest_publishes_measure_changes(case, engine):
    state = CaseState()
    detained = apply_event(state, case.add("detained"), at(1), engine)
    assert measures(detained) == [
        ("P1", "detention", True, at(0), None, datetime(2026, 5, 15, tzinfo=CST), ["C1-e1"])]
    assert state.version == 1

    arrested = apply_event(state, case.add("arrested", hours=30), at(31), engine)
    assert measures(arrested) == [
        ("P1", "detention", False, at(0), at(30), None, ["C1-e1", "C1-e2"]),
        ("P1", "arrest", True, at(30), None, datetime(2026, 7, 13, tzinfo=CST), ["C1-e2"]),
    ]
    assert state.version == 2

    assert evaluate(state, at(32), engine).measures == []  # unchanged: not again
    assert state.version == 2

    released = apply_event(state, case.add("released", hours=40), at(41), engine)
    assert measures(released) == [
        ("P1", "arrest", False, at(30), at(40), None, ["C1-e2", "C1-e3"])]
    assert state.version == 3


def test_measures_of_two_persons(case, engine):
    state = CaseState()
    apply_event(state, case.add("detained"), at(1), engine)
    outcome = apply_event(state, case.add("detained", hours=2, person_id="P2"), at(3), engine)
    assert [(m.person_id, m.measure, m.active) for m in outcome.measures] == [
        ("P2", "detention", True)]
    assert state.version == 2
    assert {k for k in state.published if k.startswith("m:")} == {
        "m:P1:detention", "m:P2:detention"}


# --- next_at -------------------------------------------------------------------------------

# (events as (type, hours, details), now in hours, next_at in hours or None)
NEXT_AT = {
    "detained, before the lead": ([("detained", 0, {})], 1, 20),
    "detained, in the lead": ([("detained", 0, {})], 21, 24),
    "detained, all duties done": (
        [("detained", 0, {}), ("interrogated", 1, {}), ("sent_to_jail", 2, {}),
         ("family_notified", 3, {"measure": "detention"})], 4, 62),
    # closing ends the detention's duties and opens the visit after closing: due 06-11
    # 00:00, its lead (7 days) opens 06-04 00:00, 566 h after the start
    "case closed": ([("detained", 0, {}), ("case_closed", 2, {})], 3, 566),
    "released: the family notice still runs": (
        [("detained", 0, {}), ("released", 2, {})], 3, 20),
}


@pytest.mark.parametrize("events,now,next_in", NEXT_AT.values(), ids=NEXT_AT)
def test_next_at_is_the_next_clock_driven_change(case, engine, events, now, next_in):
    state = CaseState()
    for event_type, hours, details in events:
        apply_event(state, case.add(event_type, hours=hours, **details), at(now), engine)
    assert state.next_due() == (None if next_in is None else at(next_in).timestamp())
    expected = case.result(hours=now).next_at
    assert state.next_due() == (None if expected is None else expected.timestamp())


def test_event_dated_slightly_ahead_schedules_its_own_evaluation(case, engine):
    state = CaseState()
    detained = case.add("detained", minutes=2)  # the source's clock runs 2 minutes ahead
    apply_event(state, detained, at(0), engine)
    assert state.next_due() == at(2 / 60).timestamp()


def test_nothing_changes_before_next_at_and_something_does_at_it(case, engine):
    state = CaseState()
    apply_event(state, case.add("detained"), at(1), engine)
    due = datetime.fromtimestamp(state.next_due(), CST)
    assert due == at(20)
    assert nothing(evaluate(state, due - timedelta(seconds=1), engine))
    assert summary(evaluate(state, due, engine)) == [
        (r, "approaching", "open") for r in DETENTION_RULES]
    assert state.next_due() == at(24).timestamp()


# --- what a case reads of its store --------------------------------------------------------


class CountingItems(MemoryItems):
    """A case's items that count what is read of them."""

    def __init__(self, items):
        super().__init__(items)
        self.gets: list[str] = []
        self.scans: list[str] = []

    def get(self, item):
        self.gets.append(item)
        return super().get(item)

    def scan(self, prefix):
        self.scans.append(prefix)
        return super().scan(prefix)


def cycles(case: CaseTimeline, count: int) -> None:
    """`count` custody cycles of one person, each closing every duty it opens."""
    for n in range(count):
        day = 40 * n
        case.add("detained", days=day)
        case.add("sent_to_jail", days=day, hours=2)
        case.add("family_notified", days=day, hours=3, measure="detention")
        case.add("interrogated", days=day, hours=4)
        case.add("released", days=day + 2)


LATER = datetime(2031, 1, 1, tzinfo=CST)  # after every event below


def stored_case(count: int) -> tuple[CaseTimeline, dict[str, bytes]]:
    case = CaseTimeline(start="2025-01-06T09:00:00+08:00")
    cycles(case, count)
    state, items = CaseState(), {}
    for offset, event in enumerate(case.events):
        state.on_events([Arrival(event, event.model_dump_json().encode(), offset)], LATER)
        items.update(state.changes())
    return case, items


@pytest.mark.parametrize("late", [False, True], ids=["in order", "out of order"])
def test_a_restored_case_reads_what_its_event_needs_not_its_history(late):
    """An event in order reads the case's meta, its subject and the open obligations'
    triggers: as many items after 4 cycles as after 40. Out of order, the person's events
    are read (by its index items) to walk it again."""
    reads = {}
    for count in (4, 40):
        case, items = stored_case(count)
        event = case.add("detained", days=40 * count - (45 if late else 0))
        store = CountingItems(items)
        state = CaseLogic.restore("C1", shared_engine(), store)
        outcome = state.on_events([Arrival(event, event.model_dump_json().encode(), 10**6)],
                                  LATER)
        assert outcome.warnings and {w.warning_id for w in outcome.warnings} <= {
            w.warning_id for w in case.evaluate(at=LATER.isoformat())}
        reads[count] = (len(store.gets), store.scans)
    if late:
        assert reads[4][1] == reads[40][1] == ["i:0002P1", "i:0000"]
    else:
        assert reads[4] == reads[40] and reads[4][1] == []


def test_a_case_stored_before_walks_were_persisted_is_walked_afresh():
    """The store of the previous version (events, publications and a meta without walks):
    the first message walks the whole case, publishes only what changed, and writes the
    subjects' walks and index items, so the next message steps."""
    case, items = stored_case(2)
    meta = json.loads(items["m"])
    old = {k: v for k, v in items.items() if k[:2] in ("e:", "p:")}
    old["m"] = json.dumps({k: meta[k] for k in ("offset", "version", "next_due")}).encode()
    state = CaseLogic.restore("C1", shared_engine(), old)
    assert state.next_due() == meta["next_due"]
    event = case.add("detained", days=100)
    outcome = state.on_events([Arrival(event, event.model_dump_json().encode(), 99)], LATER)
    assert summary(outcome) == [(r, "overdue", "open")
                                for r in ["det_arrest_request", *DETENTION_RULES]]
    changes = state.changes()
    assert sorted(json.loads(changes["s:P1"])["recent"]) == sorted(e.event_id for e in case.events)
    assert json.loads(changes["m"])["walk"] == shared_engine().fingerprint
    store = CountingItems({**old, **changes})
    again = CaseLogic.restore("C1", shared_engine(), store)
    later = case.add("released", days=101)
    outcome = again.on_events([Arrival(later, later.model_dump_json().encode(), 100)], LATER)
    assert summary(outcome) == [  # released before the request was even approaching
        ("det_arrest_request", "overdue", "withdrawn"),
        ("det_first_interrogation", "approaching", "resolved"),  # at its due: in time
        ("det_transfer_to_jail", "approaching", "resolved")]
    assert store.scans == []  # stepped: no history read
