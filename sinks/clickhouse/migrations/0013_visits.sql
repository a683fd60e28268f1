-- The satisfaction visits (访评): one row per visit_made or visit_result event, with its
-- details as columns, from the events the worker accepted (case-rows). An event read again
-- has the same key and collapses. replied and satisfaction are NULL / '' for visit_made.
CREATE TABLE IF NOT EXISTS {db}.visits
(
    event_id     String,
    event_type   String,
    case_id      String,
    unit_id      String,
    visit_id     String,
    party_role   String,
    channel      String,
    replied      Nullable(UInt8),
    satisfaction String,
    comment_ref  String,
    occurred_at  DateTime('Asia/Shanghai')
)
ENGINE = ReplacingMergeTree()
ORDER BY (case_id, event_id)
