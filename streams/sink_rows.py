"""Kafka records of the output topics as ClickHouse rows (table name, row tuple)."""

import json
from datetime import UTC, datetime

from schemas.event import parse_event
from schemas.measure_state import MeasureState
from schemas.warning import Warning
from schemas.warning_action import WarningAction
from sinks.rows import (
    EVENTS,
    MEASURE_STATE,
    WARNING_ACTIONS,
    WARNING_HISTORY,
    action_row,
    event_row,
    measure_row,
    warning_row,
)


def warning_record(value: bytes) -> tuple[str, tuple]:
    return WARNING_HISTORY, warning_row(Warning.model_validate_json(value),
                                        emitted_at=datetime.now(UTC))


def warning_message(value: bytes) -> list[tuple[str, tuple]]:
    """One message of the warnings topic: one warning state."""
    return [warning_record(value)]


def warning_action_message(value: bytes) -> list[tuple[str, tuple]]:
    """One message of the warning-actions topic: one action of staff on a warning."""
    return [(WARNING_ACTIONS, action_row(WarningAction.model_validate_json(value)))]


def case_rows_message(value: bytes) -> list[tuple[str, tuple]]:
    """One message of the case-rows topic: `{"rows": [record, ...]}`, one per processed event."""
    return [case_row(record) for record in json.loads(value)["rows"]]


def case_row_record(value: bytes) -> tuple[str, tuple]:
    return case_row(json.loads(value))


def case_row(record: dict) -> tuple[str, tuple]:
    if record["table"] == EVENTS:
        raw = record["event"]
        return EVENTS, event_row(
            parse_event(raw),
            partition=record["partition"],
            offset=record["offset"],
            received_at=datetime.fromisoformat(record["received_at"]),
            body=raw,
        )
    if record["table"] == MEASURE_STATE:
        return MEASURE_STATE, measure_row(MeasureState.model_validate(record["state"]),
                                          record["version"])
    raise ValueError(f"unknown row table {record['table']!r}")
