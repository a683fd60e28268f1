-- Validated event archive: one row per event. A re-delivered event has the same key and
-- collapses; ReplacingMergeTree without a version keeps the last inserted copy (the stream
-- dead-letters a different body under a known event_id, so copies are identical).
-- Partitioned by a function of data fixed per key, so copies always meet in one partition.
CREATE TABLE IF NOT EXISTS {db}.events
(
    event_id        String,
    event_type      String,
    case_id         String,
    case_kind       String,
    person_id       String,
    unit_id         String,
    occurred_at     DateTime('Asia/Shanghai'),
    recorded_at     Nullable(DateTime('Asia/Shanghai')),
    received_at     DateTime('Asia/Shanghai'),
    kafka_partition UInt32,
    kafka_offset    UInt64,
    body            String
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (case_id, event_id)
