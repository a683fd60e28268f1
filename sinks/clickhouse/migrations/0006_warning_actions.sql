-- Every action of staff on a warning (acknowledge, rectify, verify, return). A retried
-- batch or a replayed message has the same action_id and collapses.
-- No partition key: copies of an action_id must meet in one partition to collapse.
CREATE TABLE IF NOT EXISTS {db}.warning_actions
(
    action_id      String,
    schema_version UInt8,
    warning_id     String,
    case_id        String,
    unit_id        String,
    rule_id        String,
    action         String,
    note           String,
    actor_id       String,
    actor_role     String,
    acted_at       DateTime('Asia/Shanghai')
)
ENGINE = ReplacingMergeTree()
ORDER BY action_id
