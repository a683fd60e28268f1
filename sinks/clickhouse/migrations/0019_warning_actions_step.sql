-- The step of each warning action (accepted actions on the warning before it) and its
-- Kafka offset: a warning's actions share one partition of the actions topic (keyed by
-- case_id, web/api.py; a warning has one case), so of two actions with one step the lower
-- offset is the one that counts.
-- step NULL for rows written before steps existed (each counts); offset 0 for rows written
-- before this column existed. One statement: both columns are added together or not at all.
ALTER TABLE {db}.warning_actions ADD COLUMN step Nullable(UInt32),
    ADD COLUMN kafka_offset UInt64 DEFAULT 0
