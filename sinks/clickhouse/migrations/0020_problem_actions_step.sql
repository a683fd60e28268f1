-- The step and the Kafka offset of each problem action, as 0019 for warning actions (the
-- problem-actions topic is keyed by problem_id, web/problem_api.py).
ALTER TABLE {db}.problem_actions ADD COLUMN step Nullable(UInt32),
    ADD COLUMN kafka_offset UInt64 DEFAULT 0
