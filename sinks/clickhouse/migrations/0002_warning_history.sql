-- Every state change of a warning. The same state sent again (a retried batch, a replay)
-- has the same key and collapses; the copy with the latest emitted_at survives.
-- emitted_at is wall-clock time and deliberately not part of the key.
CREATE TABLE IF NOT EXISTS {db}.warning_history
(
    warning_id           String,
    rule_id              String,
    rule_kind            String,
    level                String,
    status               String,
    late                 Nullable(UInt8),
    case_id              String,
    person_id            String,
    unit_id              String,
    due_at               Nullable(DateTime('Asia/Shanghai')),
    resolved_at          Nullable(DateTime('Asia/Shanghai')),
    changed_at           DateTime('Asia/Shanghai'),
    evidence             Array(String),
    basis_refs           Array(String),
    message_zh           String,
    message_en           String,
    calendar_provisional UInt8,
    emitted_at           DateTime('Asia/Shanghai')
)
ENGINE = ReplacingMergeTree(emitted_at)
PARTITION BY toYYYYMM(changed_at)
ORDER BY (warning_id, changed_at, level, status)
