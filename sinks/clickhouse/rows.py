"""Pure mapping from the pipeline's models to ClickHouse rows. No I/O.

Each `*_COLUMNS` tuple names a table's columns in the order its row tuples use; the
migrations in sinks/migrations/ define the types. Timestamps become offset-aware datetimes
cut to whole seconds (the columns are DateTime('Asia/Shanghai')); booleans become 0/1;
a missing person_id becomes ''.
"""

from datetime import UTC, datetime

from schemas.access_record import AccessRecord
from schemas.delivery import DeliveryAttempt
from schemas.details import VisitMade, VisitResult
from schemas.event import Envelope
from schemas.measure_state import MeasureState
from schemas.notify_command import NotifyCommand
from schemas.obligation_state import ObligationState
from schemas.problem import Problem
from schemas.problem_action import ProblemAction
from schemas.timefmt import format_cst
from schemas.warning import Warning
from schemas.warning_action import WarningAction

EVENTS = "events"
WARNING_HISTORY = "warning_history"
MEASURE_STATE = "measure_state"
WARNING_ACTIONS = "warning_actions"
ACCESS_LOG = "access_log"
NOTIFICATIONS = "notifications"
NOTIFY_AUDIT = "notify_audit"
OBLIGATIONS = "obligations"
PROBLEMS = "problems"
PROBLEM_ACTIONS = "problem_actions"
VISITS = "visits"

EVENT_COLUMNS = (
    "event_id",
    "event_type",
    "case_id",
    "case_kind",
    "person_id",
    "unit_id",
    "occurred_at",
    "recorded_at",
    "received_at",
    "kafka_partition",
    "kafka_offset",
    "body",
)

WARNING_COLUMNS = (
    "warning_id",
    "rule_id",
    "rule_kind",
    "level",
    "status",
    "late",
    "case_id",
    "person_id",
    "unit_id",
    "due_at",
    "resolved_at",
    "changed_at",
    "evidence",
    "basis_refs",
    "message_zh",
    "message_en",
    "calendar_provisional",
    "emitted_at",
    "kafka_offset",
    "catalogue_version",
)

MEASURE_COLUMNS = (
    "case_id",
    "person_id",
    "measure",
    "unit_id",
    "active",
    "since",
    "until",
    "due_at",
    "evidence",
    "version",
)

ACTION_COLUMNS = (
    "action_id",
    "schema_version",
    "warning_id",
    "case_id",
    "unit_id",
    "rule_id",
    "action",
    "note",
    "actor_id",
    "actor_role",
    "acted_at",
    "step",
    "kafka_offset",
)

ACCESS_COLUMNS = (
    "access_id",
    "schema_version",
    "at",
    "actor_id",
    "actor_role",
    "address",
    "action",
    "target",
    "case_id",
    "person_id",
    "unit_id",
    "rows",
)

NOTIFICATION_COLUMNS = (
    "notification_id", "attempt", "status", "receiver", "receiver_kind", "reason", "unit_id",
    "group_key", "subjects", "changes", "more", "title", "error", "latency_ms", "created_at",
    "attempted_at",
)

AUDIT_COLUMNS = (
    "command_id", "command", "actor_id", "actor_role", "at", "silence_id", "notification_id",
    "rule_id", "unit_id", "case_id", "starts_at", "ends_at", "reason",
)

OBLIGATION_COLUMNS = (
    "obligation_id",
    "rule_id",
    "rule_kind",
    "case_id",
    "person_id",
    "unit_id",
    "trigger_event_id",
    "triggered_at",
    "due_at",
    "status",
    "late",
    "resolved_at",
    "extensions",
    "level",
    "changed_at",
    "calendar_provisional",
    "version",
)

PROBLEM_COLUMNS = (
    "problem_id",
    "source",
    "unit_id",
    "case_id",
    "person_id",
    "problem_type",
    "description",
    "found_by",
    "found_by_role",
    "found_at",
    "attachments",
    "evidence",
    "version",
)

PROBLEM_ACTION_COLUMNS = (
    "action_id",
    "schema_version",
    "problem_id",
    "source",
    "case_id",
    "unit_id",
    "problem_type",
    "action",
    "note",
    "actor_id",
    "actor_role",
    "acted_at",
    "step",
    "kafka_offset",
)

VISIT_COLUMNS = (
    "event_id",
    "event_type",
    "case_id",
    "unit_id",
    "visit_id",
    "party_role",
    "channel",
    "replied",
    "satisfaction",
    "comment_ref",
    "occurred_at",
)

COLUMNS: dict[str, tuple[str, ...]] = {
    EVENTS: EVENT_COLUMNS,
    WARNING_HISTORY: WARNING_COLUMNS,
    MEASURE_STATE: MEASURE_COLUMNS,
    WARNING_ACTIONS: ACTION_COLUMNS,
    ACCESS_LOG: ACCESS_COLUMNS,
    NOTIFICATIONS: NOTIFICATION_COLUMNS,
    NOTIFY_AUDIT: AUDIT_COLUMNS,
    OBLIGATIONS: OBLIGATION_COLUMNS,
    PROBLEMS: PROBLEM_COLUMNS,
    PROBLEM_ACTIONS: PROBLEM_ACTION_COLUMNS,
    VISITS: VISIT_COLUMNS,
}


#: what a DateTime column holds (seconds since the epoch as UInt32): a row outside it would
#: be refused by every retried insert, so it is refused here, where its record is known
DATETIME_RANGE = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC))


def seconds(value: datetime, column: str = "value") -> datetime:
    """The same instant cut to whole seconds; a naive or out-of-range datetime is refused
    (ValueError naming `column`)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{column}: naive datetime {value!r}: every timestamp must carry an "
                         "offset")
    if not DATETIME_RANGE[0] <= value <= DATETIME_RANGE[1]:
        low, high = (format_cst(end) for end in DATETIME_RANGE)
        raise ValueError(f"{column} {value.isoformat()} is outside ClickHouse's DateTime range "
                         f"({low} to {high})")
    return value.replace(microsecond=0)


def _seconds_or_none(value: datetime | None, column: str = "value") -> datetime | None:
    return None if value is None else seconds(value, column)


def event_row(
    event: Envelope,
    *,
    partition: int,
    offset: int,
    received_at: datetime,
    body: bytes | str | None = None,
) -> tuple:
    """Row of `events`. `body` is the message as received; by default the model's JSON."""
    if body is None:
        body = event.model_dump_json()
    elif isinstance(body, bytes):
        body = body.decode("utf-8")
    return (
        event.event_id,
        event.event_type,
        event.case_id,
        str(event.case_kind),
        event.person_id or "",
        event.unit_id,
        seconds(event.occurred_at, "occurred_at"),
        _seconds_or_none(event.recorded_at, "recorded_at"),
        seconds(received_at, "received_at"),
        partition,
        offset,
        body,
    )


def warning_row(warning: Warning, *, emitted_at: datetime, kafka_offset: int = 0) -> tuple:
    """Row of `warning_history`; `emitted_at` is the wall-clock time of the write,
    `kafka_offset` the warning message's offset (its publication order)."""
    return (
        warning.warning_id,
        warning.rule_id,
        warning.rule_kind,
        str(warning.level),
        str(warning.status),
        None if warning.late is None else int(warning.late),
        warning.case_id,
        warning.person_id or "",
        warning.unit_id,
        _seconds_or_none(warning.due_at, "due_at"),
        _seconds_or_none(warning.resolved_at, "resolved_at"),
        seconds(warning.changed_at, "changed_at"),
        list(warning.evidence),
        [b.ref for b in warning.basis],
        warning.message_zh,
        warning.message_en,
        int(warning.calendar_provisional),
        seconds(emitted_at, "emitted_at"),
        kafka_offset,
        warning.catalogue_version,
    )


def measure_row(state: MeasureState, version: int) -> tuple:
    """Row of `measure_state`; `version` (the source offset) must grow per subject+measure."""
    return (
        state.case_id,
        state.person_id,
        state.measure,
        state.unit_id,
        int(state.active),
        seconds(state.since, "since"),
        _seconds_or_none(state.until, "until"),
        _seconds_or_none(state.due_at, "due_at"),
        list(state.evidence),
        version,
    )


def action_row(action: WarningAction, kafka_offset: int = 0) -> tuple:
    """Row of `warning_actions`; `kafka_offset` is the record's offset on the actions topic
    (of two actions with one step, the lower counts)."""
    return (
        action.action_id,
        action.schema_version,
        action.warning_id,
        action.case_id,
        action.unit_id,
        action.rule_id,
        str(action.action),
        action.note,
        action.actor_id,
        str(action.actor_role),
        seconds(action.acted_at, "acted_at"),
        action.step,
        kafka_offset,
    )


def access_row(record: AccessRecord) -> tuple:
    """Row of `access_log`."""
    return (
        record.access_id,
        record.schema_version,
        seconds(record.at),
        record.actor_id,
        record.actor_role,
        record.address,
        record.action,
        record.target,
        record.case_id,
        record.person_id,
        record.unit_id,
        record.rows,
    )


def notification_row(a: DeliveryAttempt) -> tuple:
    """Row of `notifications`: one delivery attempt."""
    return (a.notification_id, a.attempt, a.status, a.receiver, a.receiver_kind, a.reason,
            a.unit_id, a.group_key, list(a.subjects), list(a.changes), a.more, a.title,
            a.error, a.latency_ms, seconds(a.created_at), seconds(a.attempted_at))


def audit_row(c: NotifyCommand) -> tuple:
    """Row of `notify_audit`: one command of staff to the notifier."""
    s = c.silence
    return (c.command_id, c.command, c.actor_id, c.actor_role, seconds(c.at),
            c.silence_id or (s.silence_id if s else ""), c.notification_id or "",
            (s.rule_id or "") if s else "", (s.unit_id or "") if s else "",
            (s.case_id or "") if s else "", seconds(s.starts_at) if s else None,
            seconds(s.ends_at) if s else None, s.reason if s else "")


def obligation_row(state: ObligationState, version: int) -> tuple:
    """Row of `obligations`; `version` must grow per obligation (the highest wins)."""
    return (
        state.obligation_id,
        state.rule_id,
        state.rule_kind,
        state.case_id,
        state.person_id or "",
        state.unit_id,
        state.trigger_event_id,
        seconds(state.triggered_at),
        seconds(state.due_at),
        str(state.status),
        None if state.late is None else int(state.late),
        _seconds_or_none(state.resolved_at),
        state.extensions,
        "" if state.level is None else str(state.level),
        seconds(state.changed_at),
        int(state.calendar_provisional),
        version,
    )


def problem_row(problem: Problem, version: int) -> tuple:
    """Row of `problems`; `version` is the record's offset on problem-records."""
    return (
        problem.problem_id,
        str(problem.source),
        problem.unit_id,
        problem.case_id or "",
        problem.person_id or "",
        problem.problem_type,
        problem.description,
        problem.found_by,
        str(problem.found_by_role),
        seconds(problem.found_at),
        list(problem.attachments),
        list(problem.evidence),
        version,
    )


def problem_action_row(action: ProblemAction, kafka_offset: int = 0) -> tuple:
    """Row of `problem_actions`; `kafka_offset` as for `action_row`."""
    return (
        action.action_id,
        action.schema_version,
        action.problem_id,
        str(action.source),
        action.case_id or "",
        action.unit_id,
        action.problem_type,
        str(action.action),
        action.note,
        action.actor_id,
        str(action.actor_role),
        seconds(action.acted_at),
        action.step,
        kafka_offset,
    )


def visit_row(event: Envelope) -> tuple:
    """Row of `visits` for a visit_made or visit_result event."""
    details = event.details
    if not isinstance(details, VisitMade):
        raise ValueError(f"{event.event_type} is not a visit event")
    result = details if isinstance(details, VisitResult) else None
    return (
        event.event_id,
        event.event_type,
        event.case_id,
        event.unit_id,
        details.visit_id,
        str(details.party_role),
        str(details.channel),
        None if result is None else int(result.replied),
        "" if result is None or result.satisfaction is None else str(result.satisfaction),
        "" if result is None else result.comment_ref or "",
        seconds(event.occurred_at),
    )
