"""Per-unit, per-month quality figures (the white paper's numbers), computed in ClickHouse.

A month is the half-open China-time interval [start, end) given as unix seconds; "at month
end" means at `end`. Every query reads the latest state of each warning (argMax by
(kafka_offset, emitted_at, changed_at), its publication order, under GROUP BY warning_id)
and the units' actions FINAL, so rows written twice count once. The SQL runs on ClickHouse
18.16 and on current releases: times are handled as UInt32 unix seconds (argMax skips NULL
arguments, so nullable times are read as `ifNull(toUInt32(x), 0)`, 0 meaning none), joins
are `ANY LEFT JOIN ... USING`.

Definitions (docs/quality.md):
- obligation: a warning whose latest level is not `violation`; withdrawn ones never count.
- due in the month: its latest due_at is in [start, end).
- met on time: resolved at or before due_at. Otherwise it is *late* (closed late, or open).
- lateness: hours from due_at to its resolution, or to month end if it was not resolved by
  then (lateness as of month end).
- open at month end: due before `end` (any month) and not resolved by `end`.
- violation in the month: latest level `violation`, first raised in [start, end).
- a problem: a late obligation due in the month, or a violation raised in the month; it
  arises at its due (obligation) or when raised (violation).
- rectification turnaround: hours from a problem's arising to its first `rectify` action
  (by month end), over the month's problems that have one.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from sinks.clickhouse.migrate import check_identifier

Execute = Callable[[str], list[tuple]]
HOUR = 3600

_WARNINGS = """
    SELECT
        warning_id,
        argMax(unit_id, (kafka_offset, emitted_at, changed_at)) AS unit_id,
        argMax(rule_id, (kafka_offset, emitted_at, changed_at)) AS rule_id,
        argMax(rule_kind, (kafka_offset, emitted_at, changed_at)) AS rule_kind,
        argMax(case_id, (kafka_offset, emitted_at, changed_at)) AS case_id,
        argMax(level, (kafka_offset, emitted_at, changed_at)) AS level,
        argMax(status, (kafka_offset, emitted_at, changed_at)) AS status,
        argMax(ifNull(toUInt32(due_at), 0), (kafka_offset, emitted_at, changed_at)) AS due_ts,
        argMax(ifNull(toUInt32(resolved_at), 0), (kafka_offset, emitted_at, changed_at))
            AS resolved_ts,
        min(toUInt32(changed_at)) AS raised_ts
    FROM {db}.warning_history
    GROUP BY warning_id
"""

# Each warning with the flags the figures count, for month [start, end).
_FLAGGED = """
    SELECT
        *,
        level != 'violation' AS is_obligation,
        due_ts >= {start} AND due_ts < {end} AS due_in_month,
        resolved_ts != 0 AND resolved_ts <= due_ts AS met,
        due_ts < {end} AND (resolved_ts = 0 OR resolved_ts > {end}) AS open_at_end,
        raised_ts >= {start} AND raised_ts < {end} AS raised_in_month,
        toInt64(if(resolved_ts = 0 OR resolved_ts > {end}, {end}, resolved_ts))
            - toInt64(due_ts) AS lateness_s
    FROM ({warnings})
    WHERE status != 'withdrawn' AND rule_kind != 'system'
"""

_ACTIONS = """
    SELECT
        warning_id,
        minIf(toUInt32(acted_at), action = 'rectify') AS first_rectify_ts,
        argMax(action, (acted_at, action_id)) AS last_action
    FROM {db}.warning_actions FINAL
    WHERE toUInt32(acted_at) <= {end}
    GROUP BY warning_id
"""

_NO_ACTIONS = "SELECT '' AS warning_id, toUInt32(0) AS first_rectify_ts, '' AS last_action"


Bound = int | str  # unix seconds, or a SQL expression of them (dashboards: from $month)


def _bound(value: Bound) -> str:
    return value if isinstance(value, str) else str(int(value))


def _flagged(db: str, start: Bound, end: Bound) -> str:
    warnings = _WARNINGS.format(db=check_identifier(db))
    return _FLAGGED.format(warnings=warnings, start=_bound(start), end=_bound(end))


def unit_figures_sql(db: str, start: Bound, end: Bound) -> str:
    """(unit_id, due, met, late, open_at_end, violations, mean_late_s, p90_late_s) per unit
    with anything to count; mean/p90 over the late obligations due in the month."""
    return f"""
SELECT
    unit_id,
    countIf(is_obligation AND due_in_month) AS due,
    countIf(is_obligation AND due_in_month AND met) AS met_on_time,
    countIf(is_obligation AND due_in_month AND NOT met) AS missed,
    countIf(is_obligation AND open_at_end) AS still_open,
    countIf(NOT is_obligation AND raised_in_month) AS violations,
    avgIf(lateness_s, is_obligation AND due_in_month AND NOT met) AS mean_late_s,
    quantileExactIf(0.9)(lateness_s, is_obligation AND due_in_month AND NOT met) AS p90_late_s
FROM ({_flagged(db, start, end)})
GROUP BY unit_id
HAVING due + still_open + violations > 0
ORDER BY unit_id
"""


def problems_sql(db: str, start: Bound, end: Bound, with_actions: bool) -> str:
    """The month's problems, one row each: (unit_id, warning_id, case_id, rule_id,
    rule_kind, is_violation, arose_ts, due_ts, late_s, first_rectify_ts, last_action);
    late_s is 0 for a violation, first_rectify_ts 0 and last_action '' without actions."""
    actions = _NO_ACTIONS
    if with_actions:
        actions = _ACTIONS.format(db=check_identifier(db), end=_bound(end))
    return f"""
SELECT unit_id, warning_id, case_id, rule_id, rule_kind, is_violation, arose_ts, due_ts,
       late_s, first_rectify_ts, last_action
FROM (
    SELECT
        unit_id, warning_id, case_id, rule_id, rule_kind,
        NOT is_obligation AS is_violation,
        if(is_obligation, due_ts, raised_ts) AS arose_ts,
        due_ts,
        if(is_obligation, lateness_s, toInt64(0)) AS late_s
    FROM ({_flagged(db, start, end)})
    WHERE (is_obligation AND due_in_month AND NOT met) OR (NOT is_obligation AND raised_in_month)
) AS problem
ANY LEFT JOIN ({actions}) AS rectification USING warning_id
ORDER BY unit_id, arose_ts, warning_id
"""


def turnaround_sql(db: str, start: Bound, end: Bound) -> str:
    """(unit_id, rectified problems, mean turnaround seconds) per unit with any."""
    return f"""
SELECT unit_id, count() AS rectified, avg(first_rectify_ts - arose_ts) AS mean_turnaround_s
FROM ({problems_sql(db, start, end, with_actions=True)})
WHERE first_rectify_ts != 0
GROUP BY unit_id
ORDER BY unit_id
"""


def broken_rules_sql(db: str, start: Bound, end: Bound, limit: int = 10) -> str:
    """(rule_id, rule_kind, problems, violations, units) of the rules with most problems."""
    return f"""
SELECT rule_id, rule_kind, count() AS problems, countIf(is_violation) AS violations,
       uniqExact(unit_id) AS units
FROM ({problems_sql(db, start, end, with_actions=False)})
GROUP BY rule_id, rule_kind
ORDER BY problems DESC, rule_id
LIMIT {int(limit)}
"""


def open_at_end_sql(db: str, start: Bound, end: Bound) -> str:
    """Obligations still open at month end: (unit_id, warning_id, case_id, rule_id,
    due_ts, late_s), earliest due first."""
    return f"""
SELECT unit_id, warning_id, case_id, rule_id, due_ts, lateness_s
FROM ({_flagged(db, start, end)})
WHERE is_obligation AND open_at_end
ORDER BY due_ts, unit_id, warning_id
"""


def has_actions_sql(db: str) -> str:
    return (
        "SELECT count() FROM system.tables"
        f" WHERE database = '{check_identifier(db)}' AND name = 'warning_actions'"
    )


def units_sql(db: str) -> str:
    return f"SELECT DISTINCT unit_id FROM {check_identifier(db)}.warning_history ORDER BY unit_id"


# ---------------------------------------------------------------- typed results


@dataclass(frozen=True, slots=True)
class UnitFigures:
    unit_id: str
    due: int
    met_on_time: int
    missed: int  # due in the month and not met on time
    still_open: int  # open at month end, whatever month it was due
    violations: int
    mean_late_hours: float | None  # None: nothing late
    p90_late_hours: float | None
    rectified: int = 0
    mean_turnaround_hours: float | None = None  # None: no rectify actions

    @property
    def on_time_rate(self) -> float | None:
        return self.met_on_time / self.due if self.due else None


@dataclass(frozen=True, slots=True)
class ProblemRow:
    unit_id: str
    warning_id: str
    case_id: str
    rule_id: str
    rule_kind: str
    is_violation: bool
    arose_ts: int
    due_ts: int | None  # None for a violation without due
    late_hours: float | None  # None for a violation
    first_rectify_ts: int | None
    last_action: str | None


@dataclass(frozen=True, slots=True)
class RuleCount:
    rule_id: str
    rule_kind: str
    problems: int
    violations: int
    units: int


@dataclass(frozen=True, slots=True)
class OpenObligation:
    unit_id: str
    warning_id: str
    case_id: str
    rule_id: str
    due_ts: int
    late_hours: float


def _hours(seconds) -> float | None:
    value = float(seconds)
    return None if math.isnan(value) else value / HOUR


def has_actions(execute: Execute, db: str) -> bool:
    """Whether rectification is recorded at all: the actions table exists and holds an
    action (the web console in use). Without, rectification is neither scored nor shown."""
    if int(execute(has_actions_sql(db))[0][0]) == 0:
        return False
    return int(execute(f"SELECT count() FROM {check_identifier(db)}.warning_actions")[0][0]) > 0


def known_units(execute: Execute, db: str) -> list[str]:
    return [str(r[0]) for r in execute(units_sql(db))]


def unit_figures(execute: Execute, db: str, start: int, end: int) -> list[UnitFigures]:
    turnaround = {}
    if has_actions(execute, db):
        turnaround = {
            str(u): (int(n), _hours(s)) for u, n, s in execute(turnaround_sql(db, start, end))
        }
    out = []
    for unit, due, met, missed, still_open, violations, mean_s, p90_s in execute(
        unit_figures_sql(db, start, end)
    ):
        rectified, mean_turn = turnaround.get(str(unit), (0, None))
        out.append(
            UnitFigures(
                unit_id=str(unit),
                due=int(due),
                met_on_time=int(met),
                missed=int(missed),
                still_open=int(still_open),
                violations=int(violations),
                mean_late_hours=_hours(mean_s) if int(missed) else None,
                p90_late_hours=_hours(p90_s) if int(missed) else None,
                rectified=rectified,
                mean_turnaround_hours=mean_turn,
            )
        )
    return out


def problems(execute: Execute, db: str, start: int, end: int) -> list[ProblemRow]:
    with_actions = has_actions(execute, db)
    out = []
    for unit, wid, case, rule, kind, is_v, arose, due, late_s, rect, last in execute(
        problems_sql(db, start, end, with_actions)
    ):
        violation = bool(int(is_v))
        out.append(
            ProblemRow(
                unit_id=str(unit),
                warning_id=str(wid),
                case_id=str(case),
                rule_id=str(rule),
                rule_kind=str(kind),
                is_violation=violation,
                arose_ts=int(arose),
                due_ts=int(due) or None,
                late_hours=None if violation else int(late_s) / HOUR,
                first_rectify_ts=int(rect) or None,
                last_action=(str(last) or None) if with_actions else None,
            )
        )
    return out


def broken_rules(execute: Execute, db: str, start: int, end: int, limit: int = 10):
    return [
        RuleCount(str(r), str(k), int(p), int(v), int(u))
        for r, k, p, v, u in execute(broken_rules_sql(db, start, end, limit))
    ]


def open_at_end(execute: Execute, db: str, start: int, end: int) -> list[OpenObligation]:
    return [
        OpenObligation(str(u), str(w), str(c), str(r), int(d), int(s) / HOUR)
        for u, w, c, r, d, s in execute(open_at_end_sql(db, start, end))
    ]
