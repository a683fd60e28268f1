-- Every command of staff to the notifier (create or end a silence, retry a notification),
-- who and when: the audit of silences and retries. A replayed command has the same
-- command_id and collapses.
CREATE TABLE IF NOT EXISTS {db}.notify_audit
(
    command_id      String,
    command         String,
    actor_id        String,
    actor_role      String,
    at              DateTime('Asia/Shanghai'),
    silence_id      String,
    notification_id String,
    rule_id         String,
    unit_id         String,
    case_id         String,
    starts_at       Nullable(DateTime('Asia/Shanghai')),
    ends_at         Nullable(DateTime('Asia/Shanghai')),
    reason          String
)
ENGINE = ReplacingMergeTree()
ORDER BY command_id
