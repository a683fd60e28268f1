"""schemas.time_window: the earliest time an event may carry, and how far ahead of the
broker's clock it may be dated; both through parse_event and check_not_ahead."""

import json
from datetime import datetime, timedelta

import pytest

from schemas.event import InvalidEvent, parse_event
from schemas.time_window import EARLIEST, check_not_ahead
from schemas.timefmt import CST

BROKER = datetime(2026, 5, 3, 12, 0, tzinfo=CST)


def body(**fields) -> str:
    event = {"event_id": "E1", "schema_version": 1, "event_type": "detained",
             "occurred_at": "2026-05-01T15:00:00+08:00", "case_id": "C1",
             "case_kind": "criminal", "person_id": "P1", "unit_id": "U3301", **fields}
    return json.dumps(event)


def reasons(**fields) -> list[str]:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body(**fields))
    return caught.value.reasons


@pytest.mark.parametrize("stamp", ["1900-01-01T00:00:00+08:00", "1970-01-01T00:00:00Z",
                                   "1989-12-31T23:59:59+08:00", "1989-12-31T15:59:59Z",
                                   "0001-01-01T00:00:00Z"])
def test_an_occurred_at_before_1990_in_china_is_invalid(stamp):
    value = datetime.fromisoformat(stamp).isoformat()
    assert reasons(occurred_at=stamp) == [
        f"detained.occurred_at: {value} is before 1990-01-01T00:00:00+08:00, the earliest "
        "time an event may carry"]


@pytest.mark.parametrize("stamp", ["1990-01-01T00:00:00+08:00", "1989-12-31T16:00:00Z",
                                   "1989-12-31T11:00:00-05:00"])
def test_the_first_instant_of_1990_in_china_is_valid(stamp):
    event = parse_event(body(occurred_at=stamp))
    assert event.occurred_at == EARLIEST


def test_a_recorded_at_before_1990_is_invalid_too():
    assert reasons(recorded_at="1900-01-01T00:00:00+08:00") == [
        "detained.recorded_at: 1900-01-01T00:00:00+08:00 is before 1990-01-01T00:00:00+08:00, "
        "the earliest time an event may carry"]


def test_an_event_up_to_a_day_ahead_of_the_broker_passes():
    event = parse_event(body(occurred_at="2026-05-04T12:00:00+08:00",
                             recorded_at="2026-05-04T04:00:00Z"))
    assert check_not_ahead(event, BROKER) == []
    assert check_not_ahead(event, BROKER - timedelta(seconds=1)) == [
        "occurred_at: 2026-05-04T12:00:00+08:00 is more than 24 hours after "
        "2026-05-03T11:59:59+08:00, the time it was received",
        "recorded_at: 2026-05-04T04:00:00+00:00 is more than 24 hours after "
        "2026-05-03T11:59:59+08:00, the time it was received"]


def test_the_year_9999_is_far_ahead_of_any_broker():
    event = parse_event(body(occurred_at="9999-12-31T23:59:59+08:00"))  # valid by itself
    assert check_not_ahead(event, BROKER) == [
        "occurred_at: 9999-12-31T23:59:59+08:00 is more than 24 hours after "
        "2026-05-03T12:00:00+08:00, the time it was received"]


def test_an_event_without_recorded_at_is_checked_on_occurred_at_alone():
    event = parse_event(body())
    assert event.recorded_at is None
    assert check_not_ahead(event, BROKER) == []


def test_the_broker_time_may_carry_any_offset():
    event = parse_event(body(occurred_at="2026-05-04T12:00:01+08:00"))
    assert check_not_ahead(event, datetime.fromisoformat("2026-05-03T04:00:00+00:00")) == [
        "occurred_at: 2026-05-04T12:00:01+08:00 is more than 24 hours after "
        "2026-05-03T12:00:00+08:00, the time it was received"]
