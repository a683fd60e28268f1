-- Distinct warnings per China-time hour of changed_at, unit, rule, level and status.
-- uniqExact states: inserting the same warning_id again does not change the count, so a
-- retried batch is harmless. Read with uniqExactMerge(warnings) and GROUP BY.
CREATE TABLE IF NOT EXISTS {db}.warnings_hourly
(
    hour     DateTime('Asia/Shanghai'),
    unit_id  String,
    rule_id  String,
    level    String,
    status   String,
    warnings AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, unit_id, rule_id, level, status)
