-- Feeds warnings_hourly from every insert into warning_history.
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.warnings_hourly_mv TO {db}.warnings_hourly
AS SELECT
    toStartOfHour(changed_at) AS hour,
    unit_id,
    rule_id,
    level,
    status,
    uniqExactState(warning_id) AS warnings
FROM {db}.warning_history
GROUP BY hour, unit_id, rule_id, level, status
