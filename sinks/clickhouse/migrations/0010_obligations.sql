-- Every obligation's current state, warned or not (schemas/obligation_state.py), from the
-- worker's case-rows topic. `version` grows per obligation; the highest wins (read FINAL).
-- obligation_id equals the warning_id of the obligation's warning. No partition key: every
-- version of an obligation must land in one partition to collapse.
CREATE TABLE IF NOT EXISTS {db}.obligations
(
    obligation_id        String,
    rule_id              String,
    rule_kind            String,
    case_id              String,
    person_id            String,
    unit_id              String,
    trigger_event_id     String,
    triggered_at         DateTime('Asia/Shanghai'),
    due_at               DateTime('Asia/Shanghai'),
    status               String,
    late                 Nullable(UInt8),
    resolved_at          Nullable(DateTime('Asia/Shanghai')),
    extensions           UInt16,
    level                String,
    changed_at           DateTime('Asia/Shanghai'),
    calendar_provisional UInt8,
    version              UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY obligation_id
