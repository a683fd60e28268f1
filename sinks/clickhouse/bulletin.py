"""The daily bulletin's figures (日通报), computed in ClickHouse from the same tables and
definitions as the white paper (sinks/clickhouse/quality.py).

A day is the China-time interval [start, end); `at` is the instant "now" means: the day's
end, or the present moment for today. System warnings never count; withdrawn ones neither.
- new warnings: warnings first raised in the day, by their level at `at`;
- new problems: problems found in the day, by source (the platform's are the warnings);
- overdue now: obligations due by `at` and not resolved by then;
- rectified / verified / returned: accepted actions of the day on warnings and problems
  (the first of each step, as the white paper's);
- units with nothing open: no obligation overdue at `at`, no violation and no entered
  problem whose last action by `at` is not `verify`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sinks.clickhouse.migrate import check_identifier
from sinks.clickhouse.quality import (
    HOUR,
    accepted_actions_sql,
    actions_sql,
    entered_sql,
    items_sql,
)

Execute = Callable[[str], list[tuple]]
_KEY = "(kafka_offset, emitted_at, changed_at)"


def new_warnings_sql(db: str, start: int, end: int, at: int) -> str:
    """(unit_id, approaching, overdue, violation) of the warnings first raised in the day,
    by their state at `at`."""
    db = check_identifier(db)
    return f"""
SELECT unit_id, countIf(level = 'approaching'), countIf(level = 'overdue'),
       countIf(level = 'violation')
FROM (
    SELECT warning_id,
           argMax(unit_id, {_KEY}) AS unit_id, argMax(level, {_KEY}) AS level,
           argMax(status, {_KEY}) AS status, argMax(rule_kind, {_KEY}) AS rule_kind,
           min(toUInt32(changed_at)) AS raised_ts
    FROM {db}.warning_history
    WHERE toUInt32(changed_at) <= {int(at)}
    GROUP BY warning_id
)
WHERE raised_ts >= {int(start)} AND raised_ts < {int(end)} AND status != 'withdrawn'
  AND rule_kind != 'system' AND level != 'system'
GROUP BY unit_id
ORDER BY unit_id
"""


def new_problems_sql(db: str, start: int, end: int) -> str:
    """(unit_id, source, problems) found in the day."""
    return f"""
SELECT unit_id, source, count()
FROM ({entered_sql(db)})
WHERE found_ts >= {int(start)} AND found_ts < {int(end)}
GROUP BY unit_id, source
ORDER BY unit_id, source
"""


def overdue_now_sql(db: str, at: int) -> str:
    """(unit_id, item_id, case_id, rule_id, due_ts) of the obligations overdue at `at`."""
    return f"""
SELECT unit_id, item_id, case_id, rule_id, due_ts
FROM ({items_sql(db)})
WHERE is_obligation AND status != 'withdrawn' AND rule_kind != 'system'
  AND due_ts <= {int(at)} AND (resolved_ts = 0 OR resolved_ts > {int(at)})
ORDER BY due_ts, unit_id, item_id
"""


def actions_of_day_sql(db: str, start: int, end: int, at: int) -> str:
    """(unit_id, rectified, verified, returned): accepted actions of the day [start, end) up
    to `at`, warnings and problems. An action at the next 00:00 (a past day's `at`) is the
    next day's."""
    return f"""
SELECT unit_id, countIf(action = 'rectify'), countIf(action = 'verify'),
       countIf(action = 'return')
FROM ({accepted_actions_sql(db)})
WHERE toUInt32(acted_at) >= {int(start)} AND toUInt32(acted_at) < {int(end)}
  AND toUInt32(acted_at) <= {int(at)}
GROUP BY unit_id
ORDER BY unit_id
"""


def open_units_sql(db: str, at: int) -> str:
    """The units with anything open at `at`: an overdue obligation, or a violation or an
    entered problem not verified."""
    a = int(at)
    return f"""
SELECT DISTINCT unit_id FROM (
    SELECT unit_id FROM ({overdue_now_sql(db, at)})
    UNION ALL
    SELECT unit_id
    FROM (
        SELECT unit_id, item_id, toUInt8(0) AS entered, raised_ts AS arose_ts
        FROM ({items_sql(db)})
        WHERE NOT is_obligation AND status != 'withdrawn' AND rule_kind != 'system'
        UNION ALL
        SELECT unit_id, item_id, toUInt8(1) AS entered, found_ts AS arose_ts
        FROM ({entered_sql(db)})
    ) AS problem
    ANY LEFT JOIN ({actions_sql(db, at)}) AS actions USING (item_id, entered)
    WHERE arose_ts <= {a} AND last_action != 'verify'
)
ORDER BY unit_id
"""


@dataclass(frozen=True, slots=True)
class Overdue:
    unit_id: str
    item_id: str
    case_id: str
    rule_id: str
    due_ts: int
    hours: float  # overdue by, at `at`


@dataclass(frozen=True, slots=True)
class DayFigures:
    new_warnings: dict[str, tuple[int, int, int]]  # unit -> approaching, overdue, violation
    new_problems: dict[str, dict[str, int]]  # unit -> source -> problems
    overdue: list[Overdue]
    actions: dict[str, tuple[int, int, int]]  # unit -> rectified, verified, returned
    open_units: set[str]


def day_figures(execute: Execute, db: str, start: int, end: int, at: int) -> DayFigures:
    problems: dict[str, dict[str, int]] = {}
    for unit, source, n in execute(new_problems_sql(db, start, end)):
        problems.setdefault(str(unit), {})[str(source)] = int(n)
    return DayFigures(
        new_warnings={str(u): (int(a), int(o), int(v))
                      for u, a, o, v in execute(new_warnings_sql(db, start, end, at))},
        new_problems=problems,
        overdue=[Overdue(str(u), str(i), str(c), str(r), int(d), (at - int(d)) / HOUR)
                 for u, i, c, r, d in execute(overdue_now_sql(db, at))],
        actions={str(u): (int(r), int(v), int(b))
                 for u, r, v, b in execute(actions_of_day_sql(db, start, end, at))},
        open_units={str(r[0]) for r in execute(open_units_sql(db, at))},
    )
