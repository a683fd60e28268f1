"""streams.case_state.CaseState: the per-case JSON kept in the Faust table."""

import json

import pytest

from rules.testing import CaseTimeline
from streams.case_state import CaseState


def full_state() -> CaseState:
    case = CaseTimeline(start="2026-05-11T10:00:00+08:00", case_id="案-1")
    e = case.add("detained")
    return CaseState(
        events={e.event_id: e.model_dump_json()},
        published={"w:abc": "approaching|open|None|1||2|False|案-1-e1", "m:P1:detention": "x"},
        warnings={"w:abc": '{"warning_id":"abc","message_zh":"临期"}'},
        next_at=1778536800.5,
        offsets={"casewatch.case-events": 41, "casewatch.case-ticks": 0},
        version=7,
    )


@pytest.mark.parametrize(
    "state",
    [CaseState(), CaseState(next_at=0.0), CaseState(offsets={"t": 0}, version=1), full_state()],
    ids=["empty", "next_at zero", "offset zero", "full"],
)
def test_json_round_trip(state):
    raw = state.to_json()
    assert isinstance(raw, bytes)
    back = CaseState.from_json(raw)
    assert back == state
    assert back.to_json() == raw


def test_to_json_layout():
    state = full_state()
    data = json.loads(state.to_json())
    assert set(data) == {"events", "published", "warnings", "measures", "next_at", "offsets",
                         "version"}
    assert data["next_at"] == 1778536800.5
    assert data["version"] == 7
    assert data["offsets"] == {"casewatch.case-events": 41, "casewatch.case-ticks": 0}
    assert "案-1" in state.to_json().decode("utf-8")  # UTF-8 text, not \u escapes


def test_parsed_events_round_trip():
    case = CaseTimeline(start="2026-05-11T10:00:00+08:00")
    events = [case.add("detained"), case.add("interrogated", hours=3)]
    state = CaseState(events={e.event_id: e.model_dump_json() for e in events})
    back = CaseState.from_json(state.to_json())
    assert back.parsed_events() == events
    assert [e.event_type for e in back.parsed_events()] == ["detained", "interrogated"]


@pytest.mark.parametrize("raw", [None, b""])
def test_from_json_nothing_is_empty(raw):
    state = CaseState.from_json(raw)
    assert state == CaseState()
    assert (state.events, state.published, state.warnings, state.next_at, state.offsets,
            state.version) == ({}, {}, {}, None, {}, 0)


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"{", b'{"events": {}', b" ", b"\xff\xfe", b"null garbage"],
    ids=["text", "open brace", "truncated", "blank", "not utf-8", "trailing garbage"],
)
def test_from_json_malformed_raises_value_error(raw):
    with pytest.raises(ValueError):
        CaseState.from_json(raw)


@pytest.mark.parametrize("raw", [b"{}", b'{"events": {}}', b"[]", b"null", b"3"])
def test_from_json_wrong_shape_raises(raw):
    """Well-formed JSON that is no state: an error, never a silently empty state."""
    with pytest.raises((KeyError, TypeError, ValueError)):
        CaseState.from_json(raw)


# Each step: (topic, offset, expected seen_before) on one state
SEEN = {
    "first message of a topic": [("ev", 5, False)],
    "the same offset again": [("ev", 5, False), ("ev", 5, True)],
    "an earlier offset": [("ev", 5, False), ("ev", 2, True)],
    "a later offset": [("ev", 5, False), ("ev", 6, False), ("ev", 100, False)],
    "offset zero first, then again": [("ev", 0, False), ("ev", 0, True)],
    "topics are independent": [("ev", 5, False), ("tick", 5, False), ("tick", 3, True),
                               ("ev", 6, False), ("tick", 6, False)],
    "a replay does not lower the last offset": [("ev", 9, False), ("ev", 3, True),
                                                ("ev", 4, True), ("ev", 9, True),
                                                ("ev", 10, False)],
}


@pytest.mark.parametrize("steps", SEEN.values(), ids=SEEN.keys())
def test_seen_before(steps):
    state = CaseState()
    assert [state.seen_before(t, o) for t, o, _ in steps] == [s for _, _, s in steps]


def test_seen_before_records_the_high_water_and_survives_json():
    state = CaseState()
    assert state.seen_before("ev", 7) is False
    assert state.seen_before("ev", 2) is True
    assert state.offsets == {"ev": 7}
    back = CaseState.from_json(state.to_json())
    assert back.seen_before("ev", 7) is True
    assert back.seen_before("ev", 8) is False
    assert back.offsets == {"ev": 8}
