-- Current state per subject and measure. `version` is supplied by the writer (the Kafka
-- offset of the state message) and must grow per key; the highest version wins.
-- No partition key: every version of a key must land in the same partition to collapse.
CREATE TABLE IF NOT EXISTS {db}.measure_state
(
    case_id   String,
    person_id String,
    measure   String,
    unit_id   String,
    active    UInt8,
    since     DateTime('Asia/Shanghai'),
    until     Nullable(DateTime('Asia/Shanghai')),
    due_at    Nullable(DateTime('Asia/Shanghai')),
    evidence  Array(String),
    version   UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (case_id, person_id, measure)
