-- Every delivery attempt of the notifier (casewatch notify): what was sent to which
-- receiver, why (route or escalation step), the items' subjects and changes, the result
-- and the error. A re-done attempt after a crash has the same (notification_id, attempt)
-- and collapses. No partition key: copies of a key must meet in one partition.
CREATE TABLE IF NOT EXISTS {db}.notifications
(
    notification_id String,
    attempt         UInt16,
    status          String,
    receiver        String,
    receiver_kind   String,
    reason          String,
    unit_id         String,
    group_key       String,
    subjects        Array(String),
    changes         Array(String),
    more            UInt32,
    title           String,
    error           String,
    latency_ms      UInt32,
    created_at      DateTime('Asia/Shanghai'),
    attempted_at    DateTime('Asia/Shanghai')
)
ENGINE = ReplacingMergeTree()
ORDER BY (notification_id, attempt)
