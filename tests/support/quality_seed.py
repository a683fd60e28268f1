"""A seeded two-month dataset (October and November 2026) whose quality figures are known.

`seed(writer, execute, db)` migrates `db`, creates the units' actions table (the shape the
console's migration uses), and writes every row `writes` times, so a query that forgets
FINAL/argMax counts copies and fails. `EXPECTED_*` are the right answers, worked out by
hand in the comments below (docs/quality.md walks through U3302).

Times are China Standard Time. November is [2026-11-01 00:00, 2026-12-01 00:00).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.timefmt import CST
from schemas.warning import LegalBasis, Warning
from sinks.clickhouse.batch import Batch
from sinks.clickhouse.migrate import check_identifier, migrate
from sinks.clickhouse.rows import WARNING_HISTORY, warning_row

Execute = Callable[[str], list[tuple]]

EMITTED_AT = datetime(2026, 12, 2, 9, 0, tzinfo=CST)
MONTH, PREVIOUS = "2026-11", "2026-10"


def nov(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=CST)


def oct_(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=CST)


def dec(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=CST)


@dataclass(frozen=True)
class Seeded:
    """One warning: its unit, rule, case, kind of end, due and the instant it closed."""

    warning_id: str
    unit_id: str
    rule_id: str
    rule_kind: str
    case_id: str
    due_at: datetime | None  # None: a violation
    raised_at: datetime
    resolved_at: datetime | None = None
    withdrawn_at: datetime | None = None


# U3301 (good): A1, A2 on time (A2 exactly at due), A3 12 h late; A4 withdrawn; A0 in
#   October 24 h late. U3302 (bad): B5 on time; B1 48 h late; B2 open (144 h at month
#   end); B3 resolved after month end (72 h at month end); B4 due in October, still open;
#   B0 on time in October; V1 a violation. U3303: V2 a policy violation, C1 on time,
#   V3 withdrawn.
WARNINGS = [
    Seeded("A1", "U3301", "det_family_notice", "statutory", "C101", nov(3, 10), nov(2, 10),
           resolved_at=nov(3, 8)),
    Seeded("A2", "U3301", "det_arrest_request", "statutory", "C102", nov(10, 12), nov(7, 12),
           resolved_at=nov(10, 12)),
    Seeded("A3", "U3301", "custody_limit", "statutory", "C103", nov(20), nov(5),
           resolved_at=nov(20, 12)),
    Seeded("A4", "U3301", "adm_case_limit", "statutory", "C104", nov(15), nov(1, 9),
           withdrawn_at=nov(3)),
    Seeded("A0", "U3301", "det_family_notice", "statutory", "C100", oct_(10), oct_(9),
           resolved_at=oct_(11)),
    Seeded("B5", "U3302", "det_family_notice", "statutory", "C205", nov(5), nov(4),
           resolved_at=nov(4, 6)),
    Seeded("B1", "U3302", "det_family_notice", "statutory", "C201", nov(2), nov(1, 1),
           resolved_at=nov(4)),
    Seeded("B2", "U3302", "custody_limit", "statutory", "C202", nov(25), nov(10)),
    Seeded("B3", "U3302", "det_arrest_request", "statutory", "C203", nov(28), nov(25),
           resolved_at=dec(2)),
    Seeded("B4", "U3302", "det_arrest_request", "statutory", "C204", oct_(20), oct_(17)),
    Seeded("B0", "U3302", "det_family_notice", "statutory", "C200", oct_(5), oct_(4),
           resolved_at=oct_(4, 20)),
    Seeded("V1", "U3302", "custody_extension_out_of_order", "statutory", "C202", None,
           nov(26, 10)),
    Seeded("V2", "U3303", "approval_insufficient", "policy", "C301", None, nov(8, 9)),
    Seeded("C1", "U3303", "arrest_execution", "policy", "C302", nov(12), nov(11),
           resolved_at=nov(11, 18)),
    Seeded("V3", "U3303", "approval_insufficient", "policy", "C303", None, nov(9),
           withdrawn_at=nov(9, 5)),
]

# (action_id, warning_id, action, actor_role, acted_at)
ACTIONS = [
    ("X1", "A3", "acknowledge", "unit", nov(20, 8)),
    ("X2", "A3", "rectify", "unit", nov(22, 12)),  # 60 h after due: on time (7 days)
    ("X3", "B1", "rectify", "unit", nov(12)),  # 240 h after due: late
    ("X4", "V1", "acknowledge", "unit", nov(27)),
    ("X5", "V2", "rectify", "unit", nov(9, 9)),  # 24 h after it was raised
    ("X6", "V2", "verify", "supervisor", nov(10)),
    ("X7", "B2", "rectify", "unit", dec(1, 8)),  # after month end: not counted for November
]


def _states(w: Seeded) -> list[Warning]:
    """The warning's state changes, as the worker publishes them."""
    violation = w.due_at is None
    base = {
        "warning_id": w.warning_id,
        "rule_id": w.rule_id,
        "rule_kind": w.rule_kind,
        "case_id": w.case_id,
        "person_id": None,
        "unit_id": w.unit_id,
        "due_at": w.due_at,
        "evidence": ["e-" + w.warning_id],
        "basis": [LegalBasis(ref="CPL 85", text_zh="测试")],
        "message_zh": "测试预警",
        "message_en": "test warning",
    }
    level = "violation" if violation else "approaching"
    out = [Warning(**base, level=level, status="open", late=None, resolved_at=None,
                   changed_at=w.raised_at)]
    end = w.resolved_at or w.withdrawn_at
    if w.due_at is not None and (end is None or end > w.due_at):
        out.append(Warning(**base, level="overdue", status="open", late=None, resolved_at=None,
                           changed_at=w.due_at))
        level = "overdue"
    if w.resolved_at is not None:
        out.append(Warning(**base, level=level, status="resolved",
                           late=w.resolved_at > w.due_at, resolved_at=w.resolved_at,
                           changed_at=w.resolved_at))
    if w.withdrawn_at is not None:
        out.append(Warning(**base, level=level, status="withdrawn", late=None,
                           resolved_at=None, changed_at=w.withdrawn_at))
    return out


def warning_rows(emitted_at: datetime = EMITTED_AT) -> list[tuple]:
    return [warning_row(s, emitted_at=emitted_at) for w in WARNINGS for s in _states(w)]


def _unit_of(warning_id: str) -> Seeded:
    return next(w for w in WARNINGS if w.warning_id == warning_id)


ACTION_COLUMNS = (
    "action_id", "warning_id", "case_id", "unit_id", "rule_id", "action", "note", "actor_id",
    "actor_role", "acted_at", "schema_version",
)


def action_rows() -> list[tuple]:
    out = []
    for action_id, wid, action, role, acted_at in ACTIONS:
        w = _unit_of(wid)
        out.append((action_id, wid, w.case_id, w.unit_id, w.rule_id, action, "",
                    f"actor-{role}", role, acted_at, 1))
    return out


def seed(writer, execute: Execute, db: str, *, with_actions: bool = True, writes: int = 2):
    """Migrate `db` and write the dataset `writes` times (the last with a later emitted_at),
    with merges stopped so the copies stay on disk."""
    migrate(execute, db)
    db = check_identifier(db)
    execute(f"SYSTEM STOP MERGES {db}.warning_history")
    batch = Batch(writer, db=db)
    for n in range(writes):
        for offset, row in enumerate(warning_rows(EMITTED_AT + timedelta(hours=n))):
            batch.add("seed", 0, offset, [(WARNING_HISTORY, row)])
        batch.flush()
    if with_actions:
        execute(f"SYSTEM STOP MERGES {db}.warning_actions")
        for _ in range(writes):
            writer.insert(f"{db}.warning_actions", ACTION_COLUMNS, action_rows())


# ---------------------------------------------------------------- the right answers

# unit: (due, met, missed, still open at end, violations, mean late h, p90 late h,
#        rectified problems, mean turnaround h)
EXPECTED_FIGURES = {
    MONTH: {
        "U3301": (3, 2, 1, 0, 0, 12.0, 12.0, 1, 60.0),
        # late 48, 144, 72 -> mean 88, p90 (index floor(0.9 * 3) of the sorted) 144
        "U3302": (4, 1, 3, 3, 1, 88.0, 144.0, 1, 240.0),
        "U3303": (1, 1, 0, 0, 1, None, None, 1, 24.0),
    },
    PREVIOUS: {
        "U3301": (1, 0, 1, 0, 0, 24.0, 24.0, 0, None),
        # B4 due Oct 20, open at Oct end: 12 days = 288 h
        "U3302": (2, 1, 1, 1, 0, 288.0, 288.0, 0, None),
    },
}
# unit: (score, overdue points, violation points, rectification points, credit), default model
EXPECTED_SCORES = {
    MONTH: {
        "U3301": (98.0, 2.0, 0.0, 0.0, 1.0),
        "U3302": (45.0, 16.0, 10.0, 2.0, 0.5),
        "U3303": (91.0, 0.0, 5.0, 0.0, 0.5),
    },
    PREVIOUS: {
        "U3301": (88.0, 2.0, 0.0, 4.0, 0.0),
        "U3302": (77.0, 8.0, 0.0, 4.0, 0.5),
    },
}
EXPECTED_RANKING = {MONTH: ["U3301", "U3303", "U3302"], PREVIOUS: ["U3301", "U3302"]}
# November's problems per unit: (warning, case, rule, late hours or None, rectification)
EXPECTED_PROBLEMS = {
    "U3301": [("A3", "C103", "custody_limit", 12.0, "on_time")],
    "U3302": [
        ("B1", "C201", "det_family_notice", 48.0, "late"),
        ("B2", "C202", "custody_limit", 144.0, "pending"),
        ("V1", "C202", "custody_extension_out_of_order", None, "pending"),
        ("B3", "C203", "det_arrest_request", 72.0, "pending"),
    ],
    "U3303": [("V2", "C301", "approval_insufficient", None, "on_time")],
}
# rule: (rule kind, problems, violations, units), most problems first, then by id
EXPECTED_RULES = [
    ("approval_insufficient", "policy", 1, 1, 1),
    ("custody_extension_out_of_order", "statutory", 1, 1, 1),
    ("custody_limit", "statutory", 2, 0, 2),
    ("det_arrest_request", "statutory", 1, 0, 1),
    ("det_family_notice", "statutory", 1, 0, 1),
]
EXPECTED_RULES.sort(key=lambda r: (-r[2], r[0]))
# Open at November's end: (unit, warning, case, rule, late hours at month end), by due
EXPECTED_OPEN_AT_END = [
    ("U3302", "B4", "C204", "det_arrest_request", 288.0 + 720.0),
    ("U3302", "B2", "C202", "custody_limit", 144.0),
    ("U3302", "B3", "C203", "det_arrest_request", 72.0),
]
