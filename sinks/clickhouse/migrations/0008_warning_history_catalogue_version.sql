-- The version of the rule set that produced each warning state (Warning.catalogue_version:
-- "sha256:<hex>", after the human version when there is one). '' for rows written before
-- this column existed.
ALTER TABLE {db}.warning_history ADD COLUMN catalogue_version String DEFAULT ''
