-- Who read what on the web console (schemas/access_record.py): logins, explanations,
-- the measure board, searches, exports, the audit trail itself. Monthly partitions, so
-- the console drops whole months past the retention (web/retention.py; no TTL on 18.16).
-- A retried batch has the same access_id (and at, actor) and collapses.
CREATE TABLE IF NOT EXISTS {db}.access_log
(
    access_id      String,
    schema_version UInt8,
    at             DateTime('Asia/Shanghai'),
    actor_id       String,
    actor_role     String,
    address        String,
    action         String,
    target         String,
    case_id        String,
    person_id      String,
    unit_id        String,
    rows           UInt32
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(at)
ORDER BY (at, actor_id, access_id)
