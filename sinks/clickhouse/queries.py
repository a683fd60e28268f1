"""Read queries for dashboards and tests. Each returns SQL for database `db`.

All of them read through FINAL or GROUP BY, so rows written twice (a retried batch) count
once. The SQL is kept to what both ClickHouse 18.16 and current releases accept. Times
come back in China Standard Time (the columns are DateTime('Asia/Shanghai')).
"""

from sinks.clickhouse.migrate import check_identifier

# The current state of each warning is its change published last: the latest
# (kafka_offset, emitted_at, changed_at) (docs/clickhouse.md, "The current state").
_CURRENT_WARNINGS = """
    SELECT
        warning_id,
        argMax(rule_id, (kafka_offset, emitted_at, changed_at)) AS cur_rule_id,
        argMax(level, (kafka_offset, emitted_at, changed_at)) AS cur_level,
        argMax(status, (kafka_offset, emitted_at, changed_at)) AS cur_status,
        argMax(case_id, (kafka_offset, emitted_at, changed_at)) AS cur_case_id,
        argMax(person_id, (kafka_offset, emitted_at, changed_at)) AS cur_person_id,
        argMax(unit_id, (kafka_offset, emitted_at, changed_at)) AS cur_unit_id,
        argMax(due_at, (kafka_offset, emitted_at, changed_at)) AS cur_due_at,
        max(changed_at) AS last_changed_at
    FROM {db}.warning_history
    GROUP BY warning_id
"""


def open_warnings(db: str = "casewatch") -> str:
    """One row per warning whose current status is open:
    (warning_id, rule_id, level, case_id, person_id, unit_id, due_at, changed_at)."""
    return f"""
SELECT warning_id, cur_rule_id, cur_level, cur_case_id, cur_person_id, cur_unit_id,
       cur_due_at, last_changed_at
FROM ({_CURRENT_WARNINGS.format(db=check_identifier(db))})
WHERE cur_status = 'open'
ORDER BY cur_unit_id, cur_level, warning_id
"""


def open_warnings_by_unit_level(db: str = "casewatch") -> str:
    """(unit_id, level, open warnings) for every unit and level with any open warning."""
    return f"""
SELECT cur_unit_id, cur_level, count() AS open_warnings
FROM ({_CURRENT_WARNINGS.format(db=check_identifier(db))})
WHERE cur_status = 'open'
GROUP BY cur_unit_id, cur_level
ORDER BY cur_unit_id, cur_level
"""


def under_measure_now(db: str = "casewatch") -> str:
    """Who is under each measure now: (measure, case_id, person_id, unit_id, since, due_at)."""
    return f"""
SELECT measure, case_id, person_id, unit_id, since, due_at
FROM {check_identifier(db)}.measure_state FINAL
WHERE active = 1
ORDER BY measure, case_id, person_id
"""


def hourly_warnings(db: str = "casewatch") -> str:
    """Distinct warnings whose state changed, per China-time hour, unit, rule and level:
    (hour, unit_id, rule_id, level, warnings)."""
    return f"""
SELECT hour, unit_id, rule_id, level, uniqExactMerge(warnings) AS warnings
FROM {check_identifier(db)}.warnings_hourly
GROUP BY hour, unit_id, rule_id, level
ORDER BY hour, unit_id, rule_id, level
"""


QUERIES = {
    "open_warnings": open_warnings,
    "open_warnings_by_unit_level": open_warnings_by_unit_level,
    "under_measure_now": under_measure_now,
    "hourly_warnings": hourly_warnings,
}
