-- The Kafka offset of each warning message: a warning's messages share one partition of
-- the warnings topic, so the offset orders its states exactly as they were published (the
-- current state is the row with the highest offset; emitted_at has whole seconds only).
-- 0 for rows written before this column existed.
ALTER TABLE {db}.warning_history ADD COLUMN kafka_offset UInt64 DEFAULT 0
