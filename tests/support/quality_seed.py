"""A seeded two-month dataset (October and November 2026) whose quality figures are known.

`seed(writer, execute, db)` migrates `db` and writes every row `writes` times with merges
stopped, so a query that forgets FINAL/argMax counts copies and fails; every obligation is
written in two versions (open, then its end), so one that reads an old version fails too.
It holds problems of all six sources: the rules' own (late obligations, violations) and
entered ones (self-check, cross-check, patrol, case review, visit), the actions on both,
satisfaction visits, obligations never warned, and system warnings that must count nowhere.
`EXPECTED_*` are the right answers, worked out by hand in the comments below
(docs/quality.md walks through U3302).

Times are China Standard Time. November is [2026-11-01 00:00, 2026-12-01 00:00).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.event import parse_event
from schemas.obligation_state import ObligationState
from schemas.problem import FinderRole, Problem, ProblemSource
from schemas.problem_action import ProblemAction
from schemas.timefmt import CST
from schemas.warning import LegalBasis, Warning
from sinks.clickhouse.batch import Batch
from sinks.clickhouse.migrate import check_identifier, migrate
from sinks.clickhouse.rows import (
    EVENTS,
    OBLIGATIONS,
    PROBLEM_ACTIONS,
    PROBLEMS,
    VISITS,
    WARNING_COLUMNS,
    WARNING_HISTORY,
    event_row,
    obligation_row,
    problem_action_row,
    problem_row,
    visit_row,
    warning_row,
)

Execute = Callable[[str], list[tuple]]

EMITTED_AT = datetime(2026, 12, 2, 9, 0, tzinfo=CST)
MONTH, PREVIOUS = "2026-11", "2026-10"
TABLES = ("warning_history", "obligations", "problems", "warning_actions", "problem_actions",
          "visits", "events")


def nov(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=CST)


def oct_(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=CST)


def dec(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=CST)


@dataclass(frozen=True)
class Seeded:
    """One obligation (with `due_at`) or violation (without): unit, rule, case, its end;
    `warned`: whether it raised a warning (an obligation met before its lead did not)."""

    warning_id: str
    unit_id: str
    rule_id: str
    rule_kind: str
    case_id: str
    due_at: datetime | None  # None: a violation
    raised_at: datetime
    resolved_at: datetime | None = None
    withdrawn_at: datetime | None = None
    warned: bool = True


# U3301 (good): A1, A2 on time (A2 exactly at due), A5 on time and never warned, A3 12 h
#   late; A4 withdrawn; A0 in October 24 h late; VO1 its visit after closing, on time.
# U3302 (bad): B5 on time; B1 48 h late; B2 open (144 h at month end); B3 resolved after
#   month end (72 h at month end); B4 due in October, still open; B0 on time in October;
#   V1 a violation; VO2 a visit never made (384 h at month end).
# U3303: V2 a policy violation, C1 on time, V3 withdrawn, VO3 its visit on time, and S1 a
#   system warning (never counts). S2 is a system warning about an unregistered unit U3399,
#   which must not appear anywhere.
WARNINGS = [
    Seeded("A1", "U3301", "det_family_notice", "statutory", "C101", nov(3, 10), nov(2, 10),
           resolved_at=nov(3, 8)),
    Seeded("A2", "U3301", "det_arrest_request", "statutory", "C102", nov(10, 12), nov(7, 12),
           resolved_at=nov(10, 12)),
    Seeded("A5", "U3301", "det_first_interrogation", "statutory", "C105", nov(8), nov(7),
           resolved_at=nov(7, 3), warned=False),
    Seeded("A3", "U3301", "custody_limit", "statutory", "C103", nov(20), nov(5),
           resolved_at=nov(20, 12)),
    Seeded("A4", "U3301", "adm_case_limit", "statutory", "C104", nov(15), nov(1, 9),
           withdrawn_at=nov(3)),
    Seeded("A0", "U3301", "det_family_notice", "statutory", "C100", oct_(10), oct_(9),
           resolved_at=oct_(11)),
    Seeded("VO1", "U3301", "visit_after_closure", "policy", "C101", nov(20), oct_(20),
           resolved_at=nov(14, 10), warned=False),
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
    Seeded("VO2", "U3302", "visit_after_closure", "policy", "C206", nov(15), oct_(15)),
    Seeded("V1", "U3302", "custody_extension_out_of_order", "statutory", "C202", None,
           nov(26, 10)),
    Seeded("V2", "U3303", "approval_insufficient", "policy", "C301", None, nov(8, 9)),
    Seeded("C1", "U3303", "arrest_execution", "policy", "C302", nov(12), nov(11),
           resolved_at=nov(11, 18)),
    Seeded("V3", "U3303", "approval_insufficient", "policy", "C303", None, nov(9),
           withdrawn_at=nov(9, 5)),
    Seeded("VO3", "U3303", "visit_after_closure", "policy", "C303", nov(25), oct_(25),
           resolved_at=nov(20), warned=False),
]
# (warning_id, unit, rule, case, raised): system warnings, level and rule_kind `system`
SYSTEM_WARNINGS = [
    ("S1", "U3303", "case_processing_error", "C304", nov(9, 8)),
    ("S2", "U3399", "unregistered_unit", "C999", nov(10, 8)),
]

# (action_id, warning_id, action, actor_role, acted_at, step), in their order on the actions
# topic (the offset is the index); step None: written before steps existed, counts
ACTIONS = [
    ("X1", "A3", "acknowledge", "unit", nov(20, 8), 0),
    ("X2", "A3", "rectify", "unit", nov(22, 12), 1),  # 60 h after due: on time (7 days)
    ("X3", "B1", "rectify", "unit", nov(12), None),  # 240 h after due: late
    ("X4", "V1", "acknowledge", "unit", nov(27), 0),
    ("X5", "V2", "rectify", "unit", nov(9, 9), 0),  # 24 h after it was raised
    ("X6", "V2", "verify", "supervisor", nov(10), 1),
    ("X7", "B2", "rectify", "unit", dec(1, 8), None),  # after month end: not counted for November
    # lost races (issue 12): each took a step already taken, so the console refused it and
    # no figure counts it. A3 rectified again, its clock 1 h behind; V2 returned after
    # its verification
    ("X8", "A3", "rectify", "unit", nov(22, 11), 1),
    ("X9", "V2", "return", "supervisor", nov(10, 1), 1),
]


def _problem(pid: str, source: str, unit: str, case: str | None, ptype: str,
             found_at: datetime, role: str = "inspector") -> Problem:
    return Problem(schema_version=1, problem_id=pid, source=ProblemSource(source),
                   unit_id=unit, case_id=case, problem_type=ptype,
                   description=f"测试问题 {pid}",
                   found_by="insp01" if role != "system" else "casewatch",
                   found_by_role=FinderRole(role), found_at=found_at)


# Entered problems: P1 self-check (verified), P2 cross-check (rectified late, returned),
# P3 patrol (nothing done: missing), P4 case review (at month end: within its 7 days),
# P5 visit (verified), P6 case review of October (open since), P7 patrol of December.
PROBLEMS_SEEDED = [
    _problem("P1", "self_check", "U3301", "C103", "record_unsigned", nov(5, 9), "unit"),
    _problem("P2", "cross_check", "U3302", "C201", "property_unregistered", nov(12, 10)),
    _problem("P3", "patrol", "U3302", None, "conduct_complaint", nov(20)),
    _problem("P4", "case_review", "U3303", "C302", "wrong_legal_basis", nov(28)),
    _problem("P5", "visit", "U3301", "C101", "visit_unsatisfied", nov(15, 10), "system"),
    _problem("P6", "case_review", "U3302", "C204", "evidence_list_incomplete", oct_(25, 10)),
    _problem("P7", "patrol", "U3303", None, "dossier_irregular", dec(3)),
]
# (action_id, problem_id, action, actor_role, acted_at, step), in their order on the topic
PROBLEM_ACTIONS_SEEDED = [
    ("Y1", "P1", "acknowledge", "unit", nov(5, 10), 0),
    ("Y2", "P1", "rectify", "unit", nov(6, 9), 1),  # 24 h
    ("Y3", "P1", "verify", "supervisor", nov(7), 2),
    ("Y4", "P2", "acknowledge", "unit", nov(13), None),
    ("Y5", "P2", "rectify", "unit", nov(25, 10), None),  # 13 days: late
    ("Y6", "P2", "return", "supervisor", nov(26), None),
    ("Y7", "P5", "acknowledge", "unit", nov(16), 0),
    ("Y8", "P5", "rectify", "unit", nov(18, 10), 1),  # 72 h
    ("Y9", "P5", "verify", "supervisor", nov(19), 2),
    # lost races: P1 returned after its verification; P5 rectified again, 2 h earlier by
    # its clock
    ("Y10", "P1", "return", "supervisor", nov(7, 1), 2),
    ("Y11", "P5", "rectify", "unit", nov(18, 8), 1),
]
# (event_id, type, unit, case, visit_id, occurred_at, replied, satisfaction)
VISITS_SEEDED = [
    ("v1m", "visit_made", "U3301", "C101", "V1", nov(14, 10), None, None),
    ("v1r", "visit_result", "U3301", "C101", "V1", nov(15, 10), True, "unsatisfied"),
    ("v2m", "visit_made", "U3301", "C106", "V2", nov(3), None, None),
    ("v2r", "visit_result", "U3301", "C106", "V2", nov(3, 5), True, "satisfied"),
    ("v3m", "visit_made", "U3301", "C107", "V3", oct_(30), None, None),
    ("v3r", "visit_result", "U3301", "C107", "V3", nov(2), True, "basically_satisfied"),
    ("v4m", "visit_made", "U3303", "C303", "V4", nov(20), None, None),
    ("v4r", "visit_result", "U3303", "C303", "V4", nov(21), False, None),
    # retractions (event_retracted, docs/events.md): V5's unsatisfied result was recorded in
    # error and retracted, so V5 is made but has no result; V6's visit_made was retracted,
    # so V6 was never made; V7's visit_made was retracted and that retraction retracted in
    # turn (docs/decisions.md), so V7 was made
    ("v5m", "visit_made", "U3301", "C108", "V5", nov(5), None, None),
    ("v5r", "visit_result", "U3301", "C108", "V5", nov(6), True, "unsatisfied"),
    ("v6m", "visit_made", "U3301", "C109", "V6", nov(8), None, None),
    ("v7m", "visit_made", "U3301", "C110", "V7", nov(9), None, None),
]
# (event_id, unit, case, occurred_at, retracts_event_id): the retractions of the visits above,
# in the events archive with the body as received (JSON with spaces after ':' and ',')
RETRACTIONS_SEEDED = [
    ("r5", "U3301", "C108", nov(6, 12), "v5r"),
    ("r6", "U3301", "C109", nov(8, 12), "v6m"),
    ("r7", "U3301", "C110", nov(9, 12), "v7m"),
    ("r7r", "U3301", "C110", nov(9, 13), "r7"),
    # names v1r, but of another case: retracts nothing of C101 (its body compact)
    ("rx", "U3301", "C111", nov(16), "v1r"),
    # names an id with a quote and a backslash, escaped in the body; no such event
    ("ry", "U3301", "C111", nov(17), 'e"9\\'),
]
# (case_id, event_id) of what the retractions above take out: r7 is retracted by r7r
EXPECTED_RETRACTED = {("C108", "v5r"), ("C109", "v6m"), ("C110", "r7"), ("C111", "v1r"),
                      ("C111", 'e"9\\')}


def _base(w: Seeded) -> dict:
    return {
        "warning_id": w.warning_id, "rule_id": w.rule_id, "rule_kind": w.rule_kind,
        "case_id": w.case_id, "person_id": None, "unit_id": w.unit_id, "due_at": w.due_at,
        "evidence": ["e-" + w.warning_id], "basis": [LegalBasis(ref="CPL 85", text_zh="测试")],
        "message_zh": "测试预警", "message_en": "test warning",
    }


def _states(w: Seeded) -> list[Warning]:
    """The warning's state changes, as the worker publishes them."""
    base = _base(w)
    level = "violation" if w.due_at is None else "approaching"
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


def _system_row(wid: str, unit: str, rule: str, case: str, at: datetime,
                emitted_at: datetime) -> tuple:
    """A system warning's row (level and rule_kind `system`), whatever schemas/ allows yet."""
    model = Warning(warning_id=wid, rule_id=rule, rule_kind="policy", level="violation",
                    status="open", late=None, case_id=case, person_id=None, unit_id=unit,
                    due_at=None, resolved_at=None, changed_at=at, evidence=[],
                    basis=[], message_zh="系统预警", message_en="system warning")
    row = dict(zip(WARNING_COLUMNS, warning_row(model, emitted_at=emitted_at), strict=True))
    row.update(level="system", rule_kind="system")
    return tuple(row[c] for c in WARNING_COLUMNS)


def warning_rows(emitted_at: datetime = EMITTED_AT) -> list[tuple]:
    rows = [warning_row(s, emitted_at=emitted_at) for w in WARNINGS if w.warned
            for s in _states(w)]
    return rows + [_system_row(*s, emitted_at) for s in SYSTEM_WARNINGS]


def obligation_rows() -> list[tuple]:
    """Every obligation in two versions: open at its trigger (1), then as it ended (2)."""
    out = []
    for w in WARNINGS:
        if w.due_at is None:
            continue
        common = dict(obligation_id=w.warning_id, rule_id=w.rule_id, rule_kind=w.rule_kind,
                      case_id=w.case_id, person_id=None, unit_id=w.unit_id,
                      trigger_event_id="e-" + w.warning_id, triggered_at=w.raised_at,
                      due_at=w.due_at, extensions=0, level=None)
        out.append(obligation_row(ObligationState(
            **common, status="open", late=None, resolved_at=None, changed_at=w.raised_at), 1))
        status = "withdrawn" if w.withdrawn_at else "resolved" if w.resolved_at else "open"
        end = w.withdrawn_at or w.resolved_at or w.raised_at
        late = None if w.resolved_at is None else w.resolved_at > w.due_at
        out.append(obligation_row(ObligationState(
            **{**common, "level": "overdue" if late or status == "open" else None},
            status=status, late=late, resolved_at=w.resolved_at, changed_at=end), 2))
    return out


def _unit_of(warning_id: str) -> Seeded:
    return next(w for w in WARNINGS if w.warning_id == warning_id)


ACTION_COLUMNS = (
    "action_id", "warning_id", "case_id", "unit_id", "rule_id", "action", "note", "actor_id",
    "actor_role", "acted_at", "schema_version", "step", "kafka_offset",
)


def action_rows() -> list[tuple]:
    out = []
    for offset, (action_id, wid, action, role, acted_at, step) in enumerate(ACTIONS):
        w = _unit_of(wid)
        out.append((action_id, wid, w.case_id, w.unit_id, w.rule_id, action, "",
                    f"actor-{role}", role, acted_at, 1, step, offset))
    return out


def problem_action_rows() -> list[tuple]:
    by_id = {p.problem_id: p for p in PROBLEMS_SEEDED}
    out = []
    for offset, (action_id, pid, action, role, acted_at, step) in enumerate(
            PROBLEM_ACTIONS_SEEDED):
        p = by_id[pid]
        out.append(problem_action_row(ProblemAction(
            action_id=(action_id.encode().hex() * 16)[:32], problem_id=pid, source=p.source,
            case_id=p.case_id, unit_id=p.unit_id, problem_type=p.problem_type, action=action,
            note="已整改" if action in ("rectify", "return") else "",
            actor_id=f"actor-{role}", actor_role=role, acted_at=acted_at, step=step), offset))
    return out


def _event_json(event_id: str, kind: str, unit: str, case: str, at: datetime,
                details: dict, compact: bool = False) -> str:
    """The event as a source system might send it (json.dumps: spaces after ':' and ',',
    unless compact)."""
    return json.dumps({"event_id": event_id, "schema_version": 1, "event_type": kind,
                       "occurred_at": at.isoformat(), "case_id": case,
                       "case_kind": "criminal", "unit_id": unit, "details": details},
                      separators=(",", ":") if compact else None)


def _visit_events() -> list[str]:
    out = []
    for event_id, kind, unit, case, visit_id, at, replied, satisfaction in VISITS_SEEDED:
        details = {"visit_id": visit_id, "party_role": "victim", "channel": "phone"}
        if kind == "visit_result":
            details["replied"] = replied
            if satisfaction:
                details["satisfaction"] = satisfaction
        out.append(_event_json(event_id, kind, unit, case, at, details))
    return out


def visit_rows() -> list[tuple]:
    return [visit_row(parse_event(text)) for text in _visit_events()]


def event_rows() -> list[tuple]:
    """The archive (`events`) of the visit events and their retractions, bodies as received."""
    texts = _visit_events() + [
        _event_json(event_id, "event_retracted", unit, case, at, {"retracts_event_id": target},
                    compact=event_id == "rx")
        for event_id, unit, case, at, target in RETRACTIONS_SEEDED]
    return [event_row(parse_event(text), partition=0, offset=offset, received_at=EMITTED_AT,
                      body=text) for offset, text in enumerate(texts)]


def seed(writer, execute: Execute, db: str, *, writes: int = 2):
    """Migrate `db` and write the dataset `writes` times (the last with a later emitted_at),
    with merges stopped so the copies stay on disk."""
    migrate(execute, db)
    db = check_identifier(db)
    for table in TABLES:
        execute(f"SYSTEM STOP MERGES {db}.{table}")
    batch = Batch(writer, db=db)
    for n in range(writes):
        offset = 0
        rows = [(WARNING_HISTORY, r) for r in warning_rows(EMITTED_AT + timedelta(hours=n))]
        rows += [(OBLIGATIONS, r) for r in obligation_rows()]
        rows += [(PROBLEMS, problem_row(p, 10 + i)) for i, p in enumerate(PROBLEMS_SEEDED)]
        rows += [(PROBLEM_ACTIONS, r) for r in problem_action_rows()]
        rows += [(VISITS, r) for r in visit_rows()]
        rows += [(EVENTS, r) for r in event_rows()]
        for table, row in rows:
            batch.add("seed", 0, offset, [(table, row)])
            offset += 1
        batch.flush()
        writer.insert(f"{db}.warning_actions", ACTION_COLUMNS, action_rows())


# ---------------------------------------------------------------- the right answers

# unit: (due, met, missed, still open at end, violations, mean late h, p90 late h,
#        rectified problems, mean turnaround h); turnaround over every source's problems
EXPECTED_FIGURES = {
    MONTH: {
        # A1, A2, A5, VO1 met; A3 12 h late. Rectified: A3 60 h, P1 24 h, P5 72 h -> 52
        "U3301": (5, 4, 1, 0, 0, 12.0, 12.0, 3, 52.0),
        # late 48, 72, 144, 384 -> mean 162, p90 (index floor(0.9 * 4) of the sorted) 384;
        # open at end B2, B3, B4 (October's), VO2. Rectified: B1 240 h, P2 312 h -> 276
        "U3302": (5, 1, 4, 4, 1, 162.0, 384.0, 2, 276.0),
        "U3303": (2, 2, 0, 0, 1, None, None, 1, 24.0),  # S1 (system) and V3 do not count
    },
    PREVIOUS: {
        "U3301": (1, 0, 1, 0, 0, 24.0, 24.0, 0, None),
        # B4 due Oct 20, open at Oct end: 12 days = 288 h
        "U3302": (2, 1, 1, 1, 0, 288.0, 288.0, 0, None),
    },
}
# The shipped model (rules/scoring.toml): every item puts at stake the most it can lose,
# score = 100 x (1 - lost / max(stake, 100)).
# unit: (score, stake, overdue points, violation points, problem points, rectification)
EXPECTED_SCORES = {
    MONTH: {
        # stake: 4 statutory x (8 + 4) + VO1 (4 + 4) + P1 (2 x 0.5 + 4) + P5 (2 + 4) = 67
        # lost: A3 2; P1 1; P5 2 -> 5; 100 x (1 - 5 / 100)
        "U3301": (95.0, 67.0, 2.0, 0.0, 3.0, 0.0),
        # stake: 4 x 12 + VO2 8 + V1 (10 + 4) + P2 (3 + 4) + P3 (2 + 4) = 83
        # lost: B1 4 + late 2; B2 8; B3 4; VO2 4 + missing 4; V1 10; P2 3 + late 2;
        #       P3 2 + missing 4 -> 47
        "U3302": (53.0, 83.0, 20.0, 10.0, 5.0, 12.0),
        # stake: C1 8, VO3 8, V2 (5 + 4), P4 (3 + 4) = 32; lost V2 5, P4 3 -> 8
        "U3303": (92.0, 32.0, 0.0, 5.0, 3.0, 0.0),
    },
    PREVIOUS: {
        "U3301": (94.0, 12.0, 2.0, 0.0, 0.0, 4.0),  # A0 24 h late, not rectified
        # B4 8 + missing 4; B0 on time; P6 2 (its 7 days run past October)
        "U3302": (86.0, 30.0, 8.0, 0.0, 2.0, 4.0),
    },
}
EXPECTED_RANKING = {MONTH: ["U3301", "U3303", "U3302"], PREVIOUS: ["U3301", "U3302"]}
# November's problems per unit, by arising: (item, case, source, code, late h, rectification)
EXPECTED_PROBLEMS = {
    "U3301": [
        ("P1", "C103", "self_check", "record_unsigned", None, "on_time"),
        ("P5", "C101", "visit", "visit_unsatisfied", None, "on_time"),
        ("A3", "C103", "platform", "custody_limit", 12.0, "on_time"),
    ],
    "U3302": [
        ("B1", "C201", "platform", "det_family_notice", 48.0, "late"),
        ("P2", "C201", "cross_check", "property_unregistered", None, "late"),
        ("VO2", "C206", "platform", "visit_after_closure", 384.0, "missing"),
        ("P3", "", "patrol", "conduct_complaint", None, "missing"),
        ("B2", "C202", "platform", "custody_limit", 144.0, "pending"),
        ("V1", "C202", "platform", "custody_extension_out_of_order", None, "pending"),
        ("B3", "C203", "platform", "det_arrest_request", 72.0, "pending"),
    ],
    "U3303": [
        ("V2", "C301", "platform", "approval_insufficient", None, "on_time"),
        ("P4", "C302", "case_review", "wrong_legal_basis", None, "pending"),
    ],
}
# rule: (rule kind, problems, violations, units), most problems first, then by id
EXPECTED_RULES = [
    ("custody_limit", "statutory", 2, 0, 2),
    ("approval_insufficient", "policy", 1, 1, 1),
    ("custody_extension_out_of_order", "statutory", 1, 1, 1),
    ("det_arrest_request", "statutory", 1, 0, 1),
    ("det_family_notice", "statutory", 1, 0, 1),
    ("visit_after_closure", "policy", 1, 0, 1),
]
# Open at November's end: (unit, item, case, rule, late hours at month end), by due
EXPECTED_OPEN_AT_END = [
    ("U3302", "B4", "C204", "det_arrest_request", 288.0 + 720.0),
    ("U3302", "VO2", "C206", "visit_after_closure", 384.0),
    ("U3302", "B2", "C202", "custody_limit", 144.0),
    ("U3302", "B3", "C203", "det_arrest_request", 72.0),
]
# November per source: {source: {unit: problems}}; entered problems open (not verified) at
# month end, whatever month they were found: {(source, unit): open}
EXPECTED_SOURCES = {
    "platform": {"U3301": 1, "U3302": 5, "U3303": 1},
    "self_check": {"U3301": 1},
    "cross_check": {"U3302": 1},
    "patrol": {"U3302": 1},
    "case_review": {"U3303": 1},
    "visit": {"U3301": 1},
}
EXPECTED_OPEN_PROBLEMS = {("cross_check", "U3302"): 1, ("patrol", "U3302"): 1,
                          ("case_review", "U3302"): 1, ("case_review", "U3303"): 1}
# November's visits: unit: (due, made, results, replied, satisfied, basically, unsatisfied)
EXPECTED_VISITS = {
    # V3 made in October, its result in November; V5 made, its result retracted; V6's
    # visit retracted; V7's retraction retracted
    "U3301": (1, 4, 3, 3, 1, 1, 1),
    "U3302": (1, 0, 0, 0, 0, 0, 0),
    "U3303": (1, 1, 1, 0, 0, 0, 0),
}
