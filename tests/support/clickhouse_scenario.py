"""A small, fixed scenario for testing the sink against any ClickHouse (chDB or a server).

`scenario_rows()` yields (table, row, partition, offset) built through sinks.clickhouse.rows from
real models; `EXPECTED` is what each read query in sinks.clickhouse.queries must return for it,
however many times the rows were written. Times are China Standard Time, 2024-03-01.
"""

import json
from datetime import datetime, timedelta

from schemas.event import parse_event
from schemas.measure_state import MeasureState
from schemas.timefmt import CST
from schemas.warning import LegalBasis, Warning
from sinks.clickhouse.queries import QUERIES
from sinks.clickhouse.rows import (
    EVENTS,
    MEASURE_STATE,
    WARNING_HISTORY,
    event_row,
    measure_row,
    warning_row,
)


def at(hour: int, minute: int) -> datetime:
    return datetime(2024, 3, 1, hour, minute, tzinfo=CST)


EMITTED_AT = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=CST)
CATALOGUE_VERSION = "2024.03-1 (sha256:" + "0123456789abcdef" * 4 + ")"

_EVENTS = [
    ("e1", "summons_started", "C1", "P1", {"kind": "summons", "note": "O'Brien \\ 王"}),
    ("e2", "admin_case_accepted", "C2", None, {}),
    ("e3", "detained", "C1", "P2", {}),
]

# (warning_id, unit, rule, level, status, changed_at); W1 escalates within the hour,
# W2 is resolved in the next hour, W3 is a case-level violation.
_WARNINGS = [
    ("W1", "U1", "R1", "approaching", "open", at(10, 5)),
    ("W1", "U1", "R1", "overdue", "open", at(10, 40)),
    ("W2", "U1", "R1", "approaching", "open", at(10, 20)),
    ("W2", "U1", "R1", "approaching", "resolved", at(11, 10)),
    ("W3", "U2", "R2", "violation", "open", at(10, 30)),
]

# (case, person, measure, active, version): P1's summons ended (higher version wins).
_MEASURES = [
    ("C1", "P1", "summons", True, 10),
    ("C1", "P2", "detention", True, 11),
    ("C1", "P1", "summons", False, 12),
    ("C3", "P3", "bail", True, 5),
]

EXPECTED = {
    "open_warnings": [("W1", "U1", "overdue"), ("W3", "U2", "violation")],
    "open_warnings_by_unit_level": [("U1", "overdue", 1), ("U2", "violation", 1)],
    "under_measure_now": [("bail", "C3", "P3"), ("detention", "C1", "P2")],
    "hourly_warnings": [
        ("2024-03-01 10:00:00", "U1", "R1", "approaching", 2),
        ("2024-03-01 10:00:00", "U1", "R1", "overdue", 1),
        ("2024-03-01 10:00:00", "U2", "R2", "violation", 1),
        ("2024-03-01 11:00:00", "U1", "R1", "approaching", 1),
    ],
    "rows": {"events": 3, "warning_history": 5, "measure_state": 3},
    "bodies_intact": True,
}


def _event_json(event_id: str, event_type: str, case_id: str, person_id, details) -> str:
    body = {
        "event_id": event_id,
        "schema_version": 1,
        "event_type": event_type,
        "occurred_at": "2024-03-01T09:30:00.250+08:00",
        "case_id": case_id,
        "case_kind": "criminal",
        "unit_id": "U1",
        "details": details,
    }
    if person_id:
        body["person_id"] = person_id
    return json.dumps(body, ensure_ascii=False)


def _warning(warning_id, unit, rule, level, status, changed_at) -> Warning:
    return Warning(
        warning_id=warning_id,
        rule_id=rule,
        rule_kind="statutory",
        level=level,
        status=status,
        late=None if status == "open" else False,
        case_id="C1",
        person_id=None if warning_id == "W3" else "P1",
        unit_id=unit,
        due_at=at(11, 0),
        resolved_at=changed_at if status == "resolved" else None,
        changed_at=changed_at,
        evidence=["e1"],
        basis=[LegalBasis(ref="CPL 119", text_zh="传唤持续的时间不得超过十二小时")],
        message_zh="传唤即将超时",
        message_en="summons about to exceed 12 hours",
        catalogue_version=CATALOGUE_VERSION,
    )


def scenario_rows(emitted_at: datetime = EMITTED_AT) -> list[tuple[str, tuple, int, int]]:
    """Every row of the scenario with its (table, row, partition, offset)."""
    out = []
    for offset, spec in enumerate(_EVENTS):
        raw = _event_json(*spec)
        row = event_row(
            parse_event(raw), partition=0, offset=offset, received_at=emitted_at, body=raw
        )
        out.append((EVENTS, row, 0, offset))
    for offset, spec in enumerate(_WARNINGS):
        out.append(
            (WARNING_HISTORY, warning_row(_warning(*spec), emitted_at=emitted_at), 1, offset)
        )
    for case_id, person_id, measure, active, version in _MEASURES:
        state = MeasureState(
            case_id=case_id,
            person_id=person_id,
            unit_id="U1",
            measure=measure,
            active=active,
            since=at(9, 30),
            until=None if active else at(11, 30),
            due_at=at(21, 30),
            evidence=["e1"],
        )
        out.append((MEASURE_STATE, measure_row(state, version), 2, version))
    return out


def later(emitted_at: datetime = EMITTED_AT) -> datetime:
    """A later wall-clock time, as a replay of the same states would carry."""
    return emitted_at + timedelta(hours=1)


# Which columns of each query's result EXPECTED lists.
_PROJECTIONS = {
    "open_warnings": (0, 5, 2),
    "open_warnings_by_unit_level": (0, 1, 2),
    "under_measure_now": (0, 1, 2),
    "hourly_warnings": (0, 1, 2, 3, 4),
}


def _plain(value):
    """Server (datetime) and chDB (text) results compared alike."""
    if isinstance(value, datetime):
        return value.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")
    return value


def observe(execute, db: str) -> dict:
    """Run every read query and count rows per table (FINAL): the shape of EXPECTED."""
    out = {}
    for name, query in QUERIES.items():
        rows = execute(query(db))
        out[name] = [tuple(_plain(row[i]) for i in _PROJECTIONS[name]) for row in rows]
    out["rows"] = {
        table: int(execute(f"SELECT count() FROM {db}.{table} FINAL")[0][0])
        for table in EXPECTED["rows"]
    }
    sent = {row[0]: row[-1] for table, row, _, _ in scenario_rows() if table == EVENTS}
    stored = dict(execute(f"SELECT event_id, body FROM {db}.events FINAL"))
    out["bodies_intact"] = stored == sent
    return out
