"""Records of the sink's input topics as ClickHouse rows: one decoder per topic.

A decoder takes a record's value and offset and returns its rows `[(table, row tuple), ...]`, or
raises if the record cannot be read (the sink dead-letters it). `DECODERS` maps a topic's
name without the prefix to its decoder; the sink reads exactly these topics.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from schemas.case_rows import CaseRows, EventRow, MeasureStateRow, ObligationStateRow
from schemas.event import parse_event
from schemas.warning import Warning
from schemas.warning_action import WarningAction
from sinks.base import Row
from sinks.clickhouse.rows import (
    EVENTS,
    MEASURE_STATE,
    WARNING_ACTIONS,
    WARNING_HISTORY,
    action_row,
    event_row,
    measure_row,
    warning_row,
)

Decoder = Callable[[bytes | None, int], list[Row]]


def warning_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of the warnings topic: one warning state, ordered by its offset."""
    warning = Warning.model_validate_json(value or b"")
    return [(WARNING_HISTORY, warning_row(warning, emitted_at=datetime.now(UTC),
                                          kafka_offset=offset))]


def case_rows_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of the case-rows topic (schemas/case_rows.py): the rows of one event.
    Obligation life records are validated and left out: no table takes them here yet."""
    rows = CaseRows.model_validate_json(value or b"").rows
    return [case_row(row) for row in rows if not isinstance(row, ObligationStateRow)]


def case_row(row: EventRow | MeasureStateRow) -> Row:
    if isinstance(row, EventRow):
        return EVENTS, event_row(
            parse_event(row.event),
            partition=row.partition,
            offset=row.offset,
            received_at=row.received_at,
            body=row.event,
        )
    return MEASURE_STATE, measure_row(row.state, row.version)


def warning_action_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of the warning-actions topic: one action of staff on a warning."""
    return [(WARNING_ACTIONS, action_row(WarningAction.model_validate_json(value or b"")))]


DECODERS: dict[str, Decoder] = {
    "warnings": warning_message,
    "case-rows": case_rows_message,
    "warning-actions": warning_action_message,
}
