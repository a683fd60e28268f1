-- Every action on a problem (acknowledge, rectify, verify, return), as warning_actions is
-- for warnings. A retried batch or a replayed message has the same action_id and collapses.
CREATE TABLE IF NOT EXISTS {db}.problem_actions
(
    action_id      String,
    schema_version UInt8,
    problem_id     String,
    source         String,
    case_id        String,
    unit_id        String,
    problem_type   String,
    action         String,
    note           String,
    actor_id       String,
    actor_role     String,
    acted_at       DateTime('Asia/Shanghai')
)
ENGINE = ReplacingMergeTree()
ORDER BY action_id
