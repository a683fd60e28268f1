"""sinks.clickhouse.rows: models to row tuples, without I/O."""

from datetime import UTC, datetime, timedelta

import pytest

from schemas.event import parse_event
from schemas.measure_state import MeasureState
from schemas.warning import LegalBasis, Warning
from sinks.clickhouse.rows import (
    EVENT_COLUMNS,
    MEASURE_COLUMNS,
    WARNING_COLUMNS,
    event_row,
    measure_row,
    seconds,
    warning_row,
)

RECEIVED = datetime(2024, 3, 1, 4, 0, 0, 999999, tzinfo=UTC)

RAW = (
    '{"event_id":"e-9","schema_version":1,"event_type":"admin_case_accepted",'
    '"occurred_at":"2024-03-01T09:30:00.750+08:00","recorded_at":"2024-03-01T10:00:00+08:00",'
    '"case_id":"C9","case_kind":"administrative","unit_id":"U7"}'
)


def named(columns, row):
    assert len(columns) == len(row)
    return dict(zip(columns, row, strict=True))


def test_event_row_keeps_raw_body_and_cuts_to_whole_seconds():
    row = named(
        EVENT_COLUMNS,
        event_row(
            parse_event(RAW), partition=3, offset=41, received_at=RECEIVED, body=RAW.encode()
        ),
    )
    assert row["body"] == RAW
    assert row["person_id"] == ""  # case-level event
    assert row["case_kind"] == "administrative"
    assert row["occurred_at"] == datetime(2024, 3, 1, 1, 30, tzinfo=UTC)
    assert row["occurred_at"].microsecond == 0 and row["received_at"].microsecond == 0
    assert row["recorded_at"] == datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    assert (row["kafka_partition"], row["kafka_offset"]) == (3, 41)


def test_event_row_refuses_naive_received_at():
    with pytest.raises(ValueError, match="naive"):
        event_row(parse_event(RAW), partition=0, offset=0, received_at=datetime(2024, 3, 1))  # noqa: DTZ001


def warning(**changes) -> Warning:
    fields = dict(
        warning_id="W1",
        rule_id="R1",
        rule_kind="policy",
        level="overdue",
        status="resolved",
        late=True,
        case_id="C1",
        person_id=None,
        unit_id="U1",
        due_at=None,
        resolved_at=datetime(2024, 3, 1, 12, 0, 0, 500, tzinfo=UTC),
        changed_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
        evidence=["e1", "e2"],
        basis=[LegalBasis(ref="CPL 85②", text_zh="…"), LegalBasis(ref="CPL 86", text_zh="…")],
        message_zh="逾期",
        message_en="overdue",
        calendar_provisional=True,
    )
    return Warning(**(fields | changes))


@pytest.mark.parametrize(("late", "stored"), [(None, None), (True, 1), (False, 0)])
def test_warning_row(late, stored):
    emitted = datetime(2024, 3, 1, 12, 0, 1, 5, tzinfo=UTC)
    row = named(WARNING_COLUMNS, warning_row(warning(late=late), emitted_at=emitted))
    assert row["late"] == stored
    assert (row["level"], row["status"], row["person_id"]) == ("overdue", "resolved", "")
    assert row["basis_refs"] == ["CPL 85②", "CPL 86"]
    assert row["evidence"] == ["e1", "e2"]
    assert row["due_at"] is None
    assert row["resolved_at"].microsecond == 0
    assert row["calendar_provisional"] == 1
    assert row["emitted_at"] == emitted.replace(microsecond=0)


def test_measure_row_carries_version():
    state = MeasureState(
        case_id="C1",
        person_id="P1",
        unit_id="U1",
        measure="detention",
        active=False,
        since=datetime(2024, 3, 1, tzinfo=UTC),
        until=datetime(2024, 3, 2, tzinfo=UTC) + timedelta(microseconds=7),
        due_at=None,
        evidence=["e1"],
    )
    row = named(MEASURE_COLUMNS, measure_row(state, 77))
    assert (row["measure"], row["active"], row["version"]) == ("detention", 0, 77)
    assert row["until"] == datetime(2024, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize("value", [
    datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2106, 2, 7, 6, 28, 16, tzinfo=UTC),
    datetime(9999, 1, 1, tzinfo=UTC),
], ids=["before 1970", "after UInt32 seconds", "year 9999"])
def test_a_time_clickhouse_cannot_store_is_refused_before_the_insert(value):
    with pytest.raises(ValueError, match="outside ClickHouse's DateTime range"):
        seconds(value)


def test_the_ends_of_the_datetime_range_are_kept():
    assert seconds(datetime(1970, 1, 1, tzinfo=UTC)) == datetime(1970, 1, 1, tzinfo=UTC)
    assert seconds(datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC)).year == 2106
