"""ClickHouse reads of the console. SQL valid on ClickHouse 18.16 and current releases;
values are bound as clickhouse_driver parameters, the database name is checked."""

from sinks.clickhouse.migrate import check_identifier

_LATEST = """
SELECT
    warning_id,
    argMax(rule_id, (kafka_offset, emitted_at, changed_at)),
    argMax(level, (kafka_offset, emitted_at, changed_at)),
    argMax(status, (kafka_offset, emitted_at, changed_at)) AS cur_status,
    argMax(case_id, (kafka_offset, emitted_at, changed_at)),
    argMax(person_id, (kafka_offset, emitted_at, changed_at)),
    argMax(unit_id, (kafka_offset, emitted_at, changed_at)),
    argMax(due_at, (kafka_offset, emitted_at, changed_at)),
    max(changed_at),
    argMax(message_zh, (kafka_offset, emitted_at, changed_at)),
    argMax(message_en, (kafka_offset, emitted_at, changed_at)),
    argMax(evidence, (kafka_offset, emitted_at, changed_at)),
    argMax(late, (kafka_offset, emitted_at, changed_at)),
    argMax(rule_kind, (kafka_offset, emitted_at, changed_at))
FROM {db}.warning_history
"""


def open_snapshot(db: str) -> str:
    """Latest state of every warning whose latest status is open (see LATEST_COLUMNS)."""
    return (_LATEST.format(db=check_identifier(db))
            + "GROUP BY warning_id HAVING cur_status = 'open'")


def latest_of(db: str) -> str:
    """Latest state of one warning: parameter `wid`."""
    return (_LATEST.format(db=check_identifier(db))
            + "WHERE warning_id = %(wid)s GROUP BY warning_id")


def search_closed(db: str, units: bool) -> str:
    """Latest state of warnings whose case or person id starts with `q`, in the units
    `units` when asked; at most `limit`."""
    where = ["(substring(case_id, 1, length(%(q)s)) = %(q)s OR "
             "substring(person_id, 1, length(%(q)s)) = %(q)s)"]
    if units:
        where.append("unit_id IN %(units)s")
    return (_LATEST.format(db=check_identifier(db)) + f"WHERE {' AND '.join(where)} "
            "GROUP BY warning_id ORDER BY warning_id "
            "LIMIT %(limit)s")


LATEST_COLUMNS = ("warning_id", "rule_id", "level", "status", "case_id", "person_id", "unit_id",
                  "due_at", "changed_at", "message_zh", "message_en", "evidence", "late",
                  "rule_kind")


def timeline(db: str) -> str:
    """Every state of warning `wid`, oldest first."""
    return f"""
SELECT changed_at, level, status, due_at, resolved_at, late, catalogue_version
FROM {check_identifier(db)}.warning_history FINAL
WHERE warning_id = %(wid)s
ORDER BY kafka_offset, emitted_at, changed_at
"""


def evidence_events(db: str) -> str:
    """The events `ids` of case `case`, in the order of legal effect."""
    return f"""
SELECT event_id, event_type, occurred_at, person_id, unit_id
FROM {check_identifier(db)}.events FINAL
WHERE case_id = %(case)s AND event_id IN %(ids)s
ORDER BY occurred_at, event_id
"""


def person_measures(db: str) -> str:
    """Measures of person `person` in case `case`, current first."""
    return f"""
SELECT measure, active, since, until, due_at
FROM {check_identifier(db)}.measure_state FINAL
WHERE case_id = %(case)s AND person_id = %(person)s
ORDER BY active DESC, since DESC
"""


MEASURE_SORTS = {
    "due": "isNull(due_at), due_at, case_id, person_id",
    "since": "since, case_id, person_id",
    "unit": "unit_id, isNull(due_at), due_at, case_id, person_id",
    "measure": "measure, isNull(due_at), due_at, case_id, person_id",
}


def measure_board(db: str, units: bool, measure: bool, sort: str) -> str:
    """Active measures, filtered by parameters `units` (tuple) and `measure` when asked;
    `limit`/`offset` page them. Rows: (case, person, measure, unit, since, due_at)."""
    where = ["active = 1"]
    if units:
        where.append("unit_id IN %(units)s")
    if measure:
        where.append("measure = %(measure)s")
    return f"""
SELECT case_id, person_id, measure, unit_id, since, due_at
FROM {check_identifier(db)}.measure_state FINAL
WHERE {' AND '.join(where)}
ORDER BY {MEASURE_SORTS[sort]}
LIMIT %(offset)s, %(limit)s
"""


def measure_board_count(db: str, units: bool, measure: bool) -> str:
    where = ["active = 1"]
    if units:
        where.append("unit_id IN %(units)s")
    if measure:
        where.append("measure = %(measure)s")
    return (f"SELECT count() FROM {check_identifier(db)}.measure_state FINAL "
            f"WHERE {' AND '.join(where)}")


def measure_counts(db: str, units: bool = False) -> str:
    """(measure, persons under it now), in the units `units` (tuple) when asked."""
    return f"""
SELECT measure, count()
FROM {check_identifier(db)}.measure_state FINAL
WHERE active = 1{" AND unit_id IN %(units)s" if units else ""}
GROUP BY measure
ORDER BY measure
"""


def new_per_hour(db: str, units: bool = False) -> str:
    """(China-time hour, unit, new warnings) for warnings first raised since `since` (epoch s),
    in the units `units` (tuple) when asked; system warnings are not a unit's."""
    return f"""
SELECT toStartOfHour(first_at) AS hour, first_unit, count()
FROM (
    SELECT warning_id, min(changed_at) AS first_at, any(unit_id) AS first_unit
    FROM {check_identifier(db)}.warning_history
    WHERE rule_kind != 'system'{" AND unit_id IN %(units)s" if units else ""}
    GROUP BY warning_id
    HAVING first_at >= toDateTime(%(since)s)
)
GROUP BY hour, first_unit
ORDER BY hour, first_unit
"""



AUDIT_FILTERS = {
    "actor": "actor_id = %(actor)s",
    "action": "action = %(action)s",
    "target": "(target = %(target)s OR case_id = %(target)s OR person_id = %(target)s)",
    "address": "address = %(address)s",
    "since": "at >= toDateTime(%(since)s)",
    "until": "at < toDateTime(%(until)s)",
}
AUDIT_COLUMNS = ("at", "actor_id", "actor_role", "address", "action", "target", "case_id",
                 "person_id", "unit_id", "rows")


def audit_page(db: str, filters: list[str]) -> str:
    """Access records, newest first, with the named AUDIT_FILTERS; `limit`/`offset`."""
    where = " AND ".join(AUDIT_FILTERS[f] for f in filters) or "1"
    return f"""
SELECT {", ".join(AUDIT_COLUMNS)}
FROM {check_identifier(db)}.access_log FINAL
WHERE {where}
ORDER BY at DESC, access_id DESC
LIMIT %(offset)s, %(limit)s
"""


def audit_count(db: str, filters: list[str]) -> str:
    where = " AND ".join(AUDIT_FILTERS[f] for f in filters) or "1"
    return f"SELECT count() FROM {check_identifier(db)}.access_log FINAL WHERE {where}"
