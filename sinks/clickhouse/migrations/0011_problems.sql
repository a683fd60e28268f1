-- Every problem entered through the loop (schemas/problem.py), from the validated topic
-- problem-records. One row per problem_id; a record read again has the same body (the
-- intake refuses another body under a known id) and collapses. `version` is its offset on
-- problem-records. No partition key: copies of a problem must meet in one partition.
CREATE TABLE IF NOT EXISTS {db}.problems
(
    problem_id    String,
    source        String,
    unit_id       String,
    case_id       String,
    person_id     String,
    problem_type  String,
    description   String,
    found_by      String,
    found_by_role String,
    found_at      DateTime('Asia/Shanghai'),
    attachments   Array(String),
    evidence      Array(String),
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY problem_id
