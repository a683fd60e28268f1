"""Per-unit, per-month quality figures (the white paper's numbers), computed in ClickHouse.

A month is the half-open China-time interval [start, end) given as unix seconds; "at month
end" means at `end`. Every table is read collapsed (FINAL, or argMax under GROUP BY), so
rows written twice count once. The SQL runs on ClickHouse 18.16 and on current releases:
times are UInt32 unix seconds (0 meaning none; argMax skips NULL arguments, so nullable
times are read as `ifNull(toUInt32(x), 0)`), joins are `ANY LEFT JOIN ... USING`, UNION ALL
branches have identical types.

Definitions (docs/quality.md):
- obligation: every obligation a rule opened, warned or not (table `obligations`, one
  row per obligation, its latest version); withdrawn ones never count.
- due in the month: its latest due_at is in [start, end).
- met on time: resolved at or before due_at. Otherwise it is *late* (closed late, or open).
- lateness: hours from due_at to its resolution, or to month end if it was not resolved by
  then (lateness as of month end).
- open at month end: due before `end` (any month) and not resolved by `end`.
- violation in the month: a warning of level `violation` (latest state not withdrawn)
  first raised in [start, end).
- system warnings (rule_kind `system`) never count.
- a problem: from the platform (the rules), a late obligation due in the month or a
  violation raised in the month; from any other source (schemas/problem.py), a problem
  found in the month. It arises at its due, when raised, or when found.
- rectification: a problem's first `rectify` action by month end, from its own actions
  (warning_actions for the platform's, problem_actions for the others); turnaround is the
  hours from arising to it.
- a visit event (visit_made, visit_result) retracted by a retraction of its case in force
  counts nowhere; a retraction of a retraction puts its target back (one level).
- actions count only if accepted: of two actions taking one step of one item (a race the
  console refuses the second of), the first on the actions topic (lowest kafka_offset);
  an action without a step (written before steps existed) counts.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from sinks.clickhouse.migrate import check_identifier

Execute = Callable[[str], list[tuple]]
HOUR = 3600
PLATFORM = "platform"

# Obligations (every one) and violations, in one shape: what the month's figures count.
_ITEMS = """
    SELECT unit_id, obligation_id AS item_id, case_id, rule_id, rule_kind,
           toUInt8(1) AS is_obligation, toUInt32(due_at) AS due_ts,
           ifNull(toUInt32(resolved_at), toUInt32(0)) AS resolved_ts,
           toUInt32(triggered_at) AS raised_ts, status
    FROM {db}.obligations FINAL
    UNION ALL
    SELECT unit_id, warning_id AS item_id, case_id, rule_id, rule_kind,
           toUInt8(0) AS is_obligation, toUInt32(0) AS due_ts, toUInt32(0) AS resolved_ts,
           raised_ts, status
    FROM (
        SELECT
            warning_id,
            argMax(unit_id, (kafka_offset, emitted_at, changed_at)) AS unit_id,
            argMax(case_id, (kafka_offset, emitted_at, changed_at)) AS case_id,
            argMax(rule_id, (kafka_offset, emitted_at, changed_at)) AS rule_id,
            argMax(rule_kind, (kafka_offset, emitted_at, changed_at)) AS rule_kind,
            argMax(status, (kafka_offset, emitted_at, changed_at)) AS status,
            min(toUInt32(changed_at)) AS raised_ts
        FROM {db}.warning_history
        WHERE level = 'violation'
        GROUP BY warning_id
    )
"""

# Each item with the flags the figures count, for month [start, end).
_FLAGGED = """
    SELECT
        *,
        due_ts >= {start} AND due_ts < {end} AS due_in_month,
        resolved_ts != 0 AND resolved_ts <= due_ts AS met,
        due_ts < {end} AND (resolved_ts = 0 OR resolved_ts > {end}) AS open_at_end,
        raised_ts >= {start} AND raised_ts < {end} AS raised_in_month,
        toInt64(if(resolved_ts = 0 OR resolved_ts > {end}, {end}, resolved_ts))
            - toInt64(due_ts) AS lateness_s
    FROM ({items})
    WHERE status != 'withdrawn' AND rule_kind != 'system'
"""

# Problems entered from the other sources, latest version of each.
_ENTERED = """
    SELECT unit_id, problem_id AS item_id, case_id, source, problem_type,
           toUInt32(found_at) AS found_ts
    FROM {db}.problems FINAL
"""

# The accepted actions on warnings and problems: of the actions taking one step of one item,
# the first on its actions topic (lowest offset; one item's actions share a partition); an
# action without a step (written before steps existed) counts. (item_id, entered, unit_id,
# action, acted_at, action_id).
_ACCEPTED = """
    SELECT item_id, entered, unit_id, action, acted_at, action_id
    FROM (
        SELECT warning_id AS item_id, toUInt8(0) AS entered, unit_id, action, acted_at,
               action_id, kafka_offset, ifNull(toString(step), action_id) AS step_key
        FROM {db}.warning_actions FINAL
        UNION ALL
        SELECT problem_id AS item_id, toUInt8(1) AS entered, unit_id, action, acted_at,
               action_id, kafka_offset, ifNull(toString(step), action_id) AS step_key
        FROM {db}.problem_actions FINAL
    )
    ORDER BY kafka_offset, action_id
    LIMIT 1 BY item_id, entered, step_key
"""

# Every accepted action on a warning or a problem up to `end`, per item: the first rectify,
# the last.
_ACTIONS = """
    SELECT
        item_id, entered,
        minIf(toUInt32(acted_at), action = 'rectify') AS first_rectify_ts,
        argMax(action, (acted_at, action_id)) AS last_action
    FROM ({accepted})
    WHERE toUInt32(acted_at) <= {end}
    GROUP BY item_id, entered
"""

# The retractions in the archive, (case_id, event_id, target): `target` is the body's
# details.retracts_event_id. The body is the event as received, so the field is found
# whatever the spaces around ':' (visitParamExtractString wants none), then unescaped as
# a JSON string. 18.16 has no JSONExtract.
_RETRACTIONS = r"""
    SELECT case_id, event_id,
           visitParamExtractString(concat('{{"t":"', extract(body,
               '"retracts_event_id"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"'), '"}}'), 't') AS target
    FROM {db}.events FINAL
    WHERE event_type = 'event_retracted'
"""

# The events taken out of their case (docs/events.md): named by a retraction of the same case
# that is not itself retracted (a retraction of a retraction puts its target back in force,
# docs/decisions.md; deeper chains are not followed).
_RETRACTED = """
    SELECT case_id, target FROM ({retractions})
    WHERE (case_id, event_id) NOT IN (SELECT case_id, target FROM ({retractions}))
"""

Bound = int | str  # unix seconds, or a SQL expression of them (dashboards: from $month)


def _bound(value: Bound) -> str:
    return value if isinstance(value, str) else str(int(value))


def items_sql(db: str) -> str:
    """Every obligation and violation: (unit_id, item_id, case_id, rule_id, rule_kind,
    is_obligation, due_ts, resolved_ts, raised_ts, status), latest states."""
    return _ITEMS.format(db=check_identifier(db))


def entered_sql(db: str) -> str:
    """Every entered problem: (unit_id, item_id, case_id, source, problem_type, found_ts)."""
    return _ENTERED.format(db=check_identifier(db))


def accepted_actions_sql(db: str) -> str:
    """Every accepted action on a warning (entered 0) or a problem (entered 1), the first of
    each step: (item_id, entered, unit_id, action, acted_at, action_id)."""
    return _ACCEPTED.format(db=check_identifier(db))


def actions_sql(db: str, until: Bound) -> str:
    """Per warning or problem (item_id, entered), its accepted actions up to `until`:
    (item_id, entered, first_rectify_ts, last_action)."""
    return _ACTIONS.format(accepted=accepted_actions_sql(db), end=_bound(until))


def _flagged(db: str, start: Bound, end: Bound) -> str:
    return _FLAGGED.format(items=items_sql(db), start=_bound(start), end=_bound(end))


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


def on_time_sql(db: str, start: Bound, end: Bound) -> str:
    """(unit_id, rule_kind, day_ts, obligations): the obligations due in the month and met on
    time, per unit, rule kind and day of their due (00:00 China time as unix seconds)."""
    return f"""
SELECT unit_id, rule_kind, toUInt32(toStartOfDay(toDateTime(due_ts, 'Asia/Shanghai')))
           AS day_ts, count() AS obligations
FROM ({_flagged(db, start, end)})
WHERE is_obligation AND due_in_month AND met
GROUP BY unit_id, rule_kind, day_ts
ORDER BY unit_id, rule_kind, day_ts
"""


def problems_sql(db: str, start: Bound, end: Bound) -> str:
    """The month's problems of every source, one row each: (unit_id, item_id, case_id,
    source, kind, code, rule_kind, arose_ts, due_ts, late_s, first_rectify_ts, last_action);
    kind is `overdue`, `violation` or `problem` (entered), code the rule or problem type;
    rule_kind is '' for an entered problem, due_ts and late_s 0 but for an overdue one,
    first_rectify_ts 0 and last_action '' without actions."""
    s, e = _bound(start), _bound(end)
    return f"""
SELECT unit_id, item_id, case_id, source, kind, code, rule_kind, arose_ts, due_ts, late_s,
       first_rectify_ts, last_action
FROM (
    SELECT unit_id, item_id, case_id, '{PLATFORM}' AS source,
           if(is_obligation, 'overdue', 'violation') AS kind, rule_id AS code, rule_kind,
           if(is_obligation, due_ts, raised_ts) AS arose_ts, due_ts,
           if(is_obligation, lateness_s, toInt64(0)) AS late_s, toUInt8(0) AS entered
    FROM ({_flagged(db, start, end)})
    WHERE (is_obligation AND due_in_month AND NOT met) OR (NOT is_obligation AND raised_in_month)
    UNION ALL
    SELECT unit_id, item_id, case_id, source, 'problem' AS kind, problem_type AS code,
           '' AS rule_kind, found_ts AS arose_ts, toUInt32(0) AS due_ts, toInt64(0) AS late_s,
           toUInt8(1) AS entered
    FROM ({entered_sql(db)})
    WHERE found_ts >= {s} AND found_ts < {e}
) AS problem
ANY LEFT JOIN ({actions_sql(db, end)}) AS rectification USING (item_id, entered)
ORDER BY unit_id, arose_ts, item_id
"""


def turnaround_sql(db: str, start: Bound, end: Bound) -> str:
    """(unit_id, rectified problems, mean turnaround seconds) per unit with any."""
    return f"""
SELECT unit_id, count() AS rectified, avg(first_rectify_ts - arose_ts) AS mean_turnaround_s
FROM ({problems_sql(db, start, end)})
WHERE first_rectify_ts != 0
GROUP BY unit_id
ORDER BY unit_id
"""


def source_counts_sql(db: str, start: Bound, end: Bound) -> str:
    """(source, unit_id, problems) of the month's problems, per source and unit."""
    return f"""
SELECT source, unit_id, count() AS problems
FROM ({problems_sql(db, start, end)})
GROUP BY source, unit_id
ORDER BY source, problems DESC, unit_id
"""


def frequent_types_sql(db: str, start: Bound, end: Bound, limit: int = 5) -> str:
    """(source, code, problems, units): the most frequent rules or problem types per source."""
    return f"""
SELECT source, code, count() AS problems, uniqExact(unit_id) AS units
FROM ({problems_sql(db, start, end)})
GROUP BY source, code
ORDER BY source, problems DESC, code
LIMIT {int(limit)} BY source
"""


def open_problems_sql(db: str, end: Bound) -> str:
    """(source, unit_id, open): entered problems found before `end` (any month) whose last
    action by then is not `verify`."""
    return f"""
SELECT source, unit_id, count() AS open
FROM ({entered_sql(db)}) AS problem
ANY LEFT JOIN (
    SELECT item_id, last_action FROM ({actions_sql(db, end)}) WHERE entered = 1
) AS actions USING item_id
WHERE found_ts < {_bound(end)} AND last_action != 'verify'
GROUP BY source, unit_id
ORDER BY source, unit_id
"""


def broken_rules_sql(db: str, start: Bound, end: Bound, limit: int = 10) -> str:
    """(rule_id, rule_kind, problems, violations, units) of the rules with most problems."""
    return f"""
SELECT code AS rule_id, rule_kind, count() AS problems,
       countIf(kind = 'violation') AS violations, uniqExact(unit_id) AS units
FROM ({problems_sql(db, start, end)})
WHERE source = '{PLATFORM}'
GROUP BY code, rule_kind
ORDER BY problems DESC, rule_id
LIMIT {int(limit)}
"""


def open_at_end_sql(db: str, start: Bound, end: Bound) -> str:
    """Obligations still open at month end: (unit_id, item_id, case_id, rule_id,
    due_ts, late_s), earliest due first."""
    return f"""
SELECT unit_id, item_id, case_id, rule_id, due_ts, lateness_s
FROM ({_flagged(db, start, end)})
WHERE is_obligation AND open_at_end
ORDER BY due_ts, unit_id, item_id
"""


def retracted_sql(db: str) -> str:
    """(case_id, event_id) of every event a retraction in force takes out of its case."""
    return _RETRACTED.format(retractions=_RETRACTIONS.format(db=check_identifier(db)))


def visits_sql(db: str, start: Bound, end: Bound, visit_rules: tuple[str, ...]) -> str:
    """(unit_id, due, made, results, replied, satisfied, basically, unsatisfied) per unit:
    visit obligations due in the month; visits first recorded in the month; and of the
    visits whose (latest) result came in the month, how many the party replied to and how
    satisfied they were. A retracted visit event counts nowhere."""
    db = check_identifier(db)
    s, e = _bound(start), _bound(end)
    rules = ", ".join("'" + check_identifier(r) + "'" for r in visit_rules) or "''"
    return f"""
SELECT unit_id, sum(due) AS due, sum(made) AS made, sum(results) AS results,
       sum(replied) AS replied, sum(satisfied) AS satisfied, sum(basically) AS basically,
       sum(unsatisfied) AS unsatisfied
FROM (
    SELECT unit_id, count() AS due, toUInt64(0) AS made, toUInt64(0) AS results,
           toUInt64(0) AS replied, toUInt64(0) AS satisfied, toUInt64(0) AS basically,
           toUInt64(0) AS unsatisfied
    FROM ({_flagged(db, start, end)})
    WHERE is_obligation AND due_in_month AND rule_id IN ({rules})
    GROUP BY unit_id
    UNION ALL
    SELECT unit_id, toUInt64(0), countIf(first_ts >= {s} AND first_ts < {e}),
           countIf(result_ts >= {s} AND result_ts < {e}),
           countIf(result_ts >= {s} AND result_ts < {e} AND replied = 1),
           countIf(result_ts >= {s} AND result_ts < {e} AND satisfaction = 'satisfied'),
           countIf(result_ts >= {s} AND result_ts < {e}
                   AND satisfaction = 'basically_satisfied'),
           countIf(result_ts >= {s} AND result_ts < {e} AND satisfaction = 'unsatisfied')
    FROM (
        SELECT unit_id, visit_id,
               min(toUInt32(occurred_at)) AS first_ts,
               maxIf(toUInt32(occurred_at), event_type = 'visit_result') AS result_ts,
               argMaxIf(ifNull(replied, toUInt8(0)), (occurred_at, event_id),
                        event_type = 'visit_result') AS replied,
               argMaxIf(satisfaction, (occurred_at, event_id),
                        event_type = 'visit_result') AS satisfaction
        FROM (SELECT * FROM {db}.visits FINAL)
        WHERE (case_id, event_id) NOT IN ({retracted_sql(db)})
        GROUP BY unit_id, case_id, visit_id
    )
    GROUP BY unit_id
)
GROUP BY unit_id
HAVING due + made + results > 0
ORDER BY unit_id
"""


def units_sql(db: str) -> str:
    db = check_identifier(db)
    return f"""
SELECT DISTINCT unit_id FROM (
    SELECT unit_id FROM {db}.obligations FINAL
    UNION ALL SELECT unit_id FROM {db}.warning_history WHERE rule_kind != 'system'
    UNION ALL SELECT unit_id FROM {db}.problems FINAL
)
ORDER BY unit_id
"""


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
    mean_turnaround_hours: float | None = None  # None: nothing rectified

    @property
    def on_time_rate(self) -> float | None:
        return self.met_on_time / self.due if self.due else None


@dataclass(frozen=True, slots=True)
class ProblemRow:
    unit_id: str
    item_id: str  # the warning_id of the platform's problems, else the problem_id
    case_id: str
    source: str
    kind: str  # overdue, violation, problem
    code: str  # rule_id or problem_type
    rule_kind: str  # '' for an entered problem
    arose_ts: int
    due_ts: int | None  # None but for an overdue obligation
    late_hours: float | None  # None but for an overdue obligation
    first_rectify_ts: int | None
    last_action: str | None

    @property
    def is_violation(self) -> bool:
        return self.kind == "violation"


@dataclass(frozen=True, slots=True)
class RuleCount:
    rule_id: str
    rule_kind: str
    problems: int
    violations: int
    units: int


@dataclass(frozen=True, slots=True)
class SourceCount:
    source: str
    unit_id: str
    problems: int


@dataclass(frozen=True, slots=True)
class TypeCount:
    source: str
    code: str
    problems: int
    units: int


@dataclass(frozen=True, slots=True)
class OpenObligation:
    unit_id: str
    item_id: str
    case_id: str
    rule_id: str
    due_ts: int
    late_hours: float


@dataclass(frozen=True, slots=True)
class VisitFigures:
    unit_id: str
    due: int
    made: int
    results: int
    replied: int
    satisfied: int
    basically_satisfied: int
    unsatisfied: int

    @property
    def reply_rate(self) -> float | None:
        return self.replied / self.results if self.results else None

    @property
    def satisfaction_rate(self) -> float | None:
        """(satisfied + basically satisfied) / replied."""
        good = self.satisfied + self.basically_satisfied
        return good / self.replied if self.replied else None


def _hours(seconds) -> float | None:
    value = float(seconds)
    return None if math.isnan(value) else value / HOUR


def known_units(execute: Execute, db: str) -> list[str]:
    return [str(r[0]) for r in execute(units_sql(db))]


def unit_figures(execute: Execute, db: str, start: int, end: int) -> list[UnitFigures]:
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


@dataclass(frozen=True, slots=True)
class OnTime:
    unit_id: str
    rule_kind: str
    day_ts: int
    obligations: int


def on_time(execute: Execute, db: str, start: int, end: int) -> list[OnTime]:
    return [OnTime(str(u), str(k), int(d), int(n))
            for u, k, d, n in execute(on_time_sql(db, start, end))]


def problems(execute: Execute, db: str, start: int, end: int) -> list[ProblemRow]:
    out = []
    for (unit, item, case, source, kind, code, rule_kind, arose, due, late_s, rect,
         last) in execute(problems_sql(db, start, end)):
        overdue = str(kind) == "overdue"
        out.append(
            ProblemRow(
                unit_id=str(unit),
                item_id=str(item),
                case_id=str(case),
                source=str(source),
                kind=str(kind),
                code=str(code),
                rule_kind=str(rule_kind),
                arose_ts=int(arose),
                due_ts=int(due) if overdue else None,
                late_hours=int(late_s) / HOUR if overdue else None,
                first_rectify_ts=int(rect) or None,
                last_action=str(last) or None,
            )
        )
    return out


def source_counts(execute: Execute, db: str, start: int, end: int) -> list[SourceCount]:
    return [SourceCount(str(s), str(u), int(p))
            for s, u, p in execute(source_counts_sql(db, start, end))]


def frequent_types(execute: Execute, db: str, start: int, end: int,
                   limit: int = 5) -> list[TypeCount]:
    return [TypeCount(str(s), str(c), int(p), int(u))
            for s, c, p, u in execute(frequent_types_sql(db, start, end, limit))]


def open_problems(execute: Execute, db: str, end: int) -> dict[tuple[str, str], int]:
    """(source, unit) -> entered problems still open (not verified) at `end`."""
    return {(str(s), str(u)): int(n) for s, u, n in execute(open_problems_sql(db, end))}


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


def visits(execute: Execute, db: str, start: int, end: int,
           visit_rules: tuple[str, ...]) -> list[VisitFigures]:
    return [VisitFigures(str(r[0]), *(int(x) for x in r[1:]))
            for r in execute(visits_sql(db, start, end, visit_rules))]
