"""Records of the sink's input topics as ClickHouse rows: one decoder per topic.

A decoder takes a record's value and offset and returns its rows `[(table, row tuple), ...]`
and, for a row that cannot be written, a `Rejected` in its place (sinks/base.py: the sink
dead-letters that row alone and writes the others). It raises if the record itself cannot
be read (the sink dead-letters the record). `DECODERS` maps a topic's name without the
prefix to its decoder; the sink reads exactly these topics.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, JsonValue, TypeAdapter

from schemas.access_record import AccessRecord
from schemas.case_rows import CaseRow, EventRow, MeasureStateRow
from schemas.delivery import DeliveryAttempt
from schemas.event import parse_event
from schemas.notify_command import NotifyCommand
from schemas.problem import Problem
from schemas.problem_action import ProblemAction
from schemas.warning import Warning
from schemas.warning_action import WarningAction
from sinks.base import Rejected, Row
from sinks.clickhouse.rows import (
    ACCESS_LOG,
    EVENTS,
    MEASURE_STATE,
    NOTIFICATIONS,
    NOTIFY_AUDIT,
    OBLIGATIONS,
    PROBLEM_ACTIONS,
    PROBLEMS,
    VISITS,
    WARNING_ACTIONS,
    WARNING_HISTORY,
    access_row,
    action_row,
    audit_row,
    event_row,
    measure_row,
    notification_row,
    obligation_row,
    problem_action_row,
    problem_row,
    visit_row,
    warning_row,
)

Decoder = Callable[[bytes | None, int], list[Row | Rejected]]


def warning_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of the warnings topic: one warning state, ordered by its offset."""
    warning = Warning.model_validate_json(value or b"")
    return [(WARNING_HISTORY, warning_row(warning, emitted_at=datetime.now(UTC),
                                          kafka_offset=offset))]


VISIT_EVENTS = frozenset({"visit_made", "visit_result"})


class _CaseRowsMessage(BaseModel):
    """A case-rows message read only as far as its list: each row is checked on its own."""

    rows: list[JsonValue]


_CASE_ROW: TypeAdapter = TypeAdapter(CaseRow)


def case_rows_message(value: bytes | None, offset: int = 0) -> list[Row | Rejected]:
    """One message of the case-rows topic (schemas/case_rows.py): the rows of one event or
    batch, each written, or rejected alone when it does not validate or does not fit."""
    raw_rows = _CaseRowsMessage.model_validate_json(value or b"").rows
    out: list[Row | Rejected] = []
    for number, raw in enumerate(raw_rows, start=1):
        try:
            out.extend(case_row(_CASE_ROW.validate_python(raw)))
        except ValueError as exc:  # pydantic's ValidationError and InvalidEvent are ValueErrors
            table = raw.get("table") if isinstance(raw, dict) else None
            where = f"row {number} of {len(raw_rows)} ({table if isinstance(table, str) else '?'})"
            out.append(Rejected(f"sink cannot write {where}: {exc}",
                                json.dumps(raw, ensure_ascii=False).encode()))
    return out


def case_row(row: CaseRow) -> list[Row]:
    """The rows one case-rows row yields: a visit event also goes to `visits`."""
    if isinstance(row, EventRow):
        event = parse_event(row.event)
        rows = [(EVENTS, event_row(event, partition=row.partition, offset=row.offset,
                                   received_at=row.received_at, body=row.event))]
        if event.event_type in VISIT_EVENTS:
            rows.append((VISITS, visit_row(event)))
        return rows
    if isinstance(row, MeasureStateRow):
        return [(MEASURE_STATE, measure_row(row.state, row.version))]
    return [(OBLIGATIONS, obligation_row(row.state, row.version))]


def warning_action_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of the warning-actions topic: one action of staff on a warning, with its
    step and offset (of two actions with one step, the lower offset counts)."""
    return [(WARNING_ACTIONS, action_row(WarningAction.model_validate_json(value or b""),
                                         offset))]


def problem_record_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of problem-records: a problem the intake accepted."""
    return [(PROBLEMS, problem_row(Problem.model_validate_json(value or b""), offset))]


def problem_action_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of problem-actions: one action of staff on a problem, with its step and
    offset."""
    return [(PROBLEM_ACTIONS, problem_action_row(ProblemAction.model_validate_json(value or b""),
                                                 offset))]


def access_log_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of the access-log topic: one read, export or login on the console."""
    return [(ACCESS_LOG, access_row(AccessRecord.model_validate_json(value or b"")))]


def notification_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of the notifications topic: one delivery attempt of the notifier."""
    return [(NOTIFICATIONS, notification_row(DeliveryAttempt.model_validate_json(value or b"")))]


def notify_command_message(value: bytes | None, offset: int = 0) -> list[Row]:
    """One message of the notify-commands topic: a silence or retry, audited."""
    return [(NOTIFY_AUDIT, audit_row(NotifyCommand.model_validate_json(value or b"")))]


DECODERS: dict[str, Decoder] = {
    "warnings": warning_message,
    "case-rows": case_rows_message,
    "warning-actions": warning_action_message,
    "problem-records": problem_record_message,
    "problem-actions": problem_action_message,
    "access-log": access_log_message,
    "notifications": notification_message,
    "notify-commands": notify_command_message,
}
