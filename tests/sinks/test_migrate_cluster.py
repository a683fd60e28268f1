"""sinks.clickhouse.migrate on a ClickHouse cluster: ON CLUSTER statements with Replicated engines,
generated from the same migration files; without a cluster the DDL is unchanged."""

import re

import pytest

from sinks.clickhouse.client import Settings
from sinks.clickhouse.migrate import (
    bootstrap_statements,
    load_migrations,
    migrate,
    migration_statements,
    on_cluster,
)

DB, CLUSTER = "cw", "casewatch_cluster"
MIGRATIONS = load_migrations()
CREATES = [m for m in MIGRATIONS if re.search(r"^\s*CREATE\s", m.sql, re.M)]
BY_TABLE = {re.search(r"\{db\}\.(\w+)", m.sql).group(1): m for m in CREATES}
ALTERS = [m for m in MIGRATIONS if m not in CREATES]


def path(table: str) -> str:
    return f"'/clickhouse/tables/{{shard}}/{DB}/{table}', '{{replica}}'"


@pytest.mark.parametrize(
    "table, engine",
    [
        ("events", f"ReplicatedReplacingMergeTree({path('events')})"),
        ("warning_history", f"ReplicatedReplacingMergeTree({path('warning_history')}, emitted_at)"),
        ("measure_state", f"ReplicatedReplacingMergeTree({path('measure_state')}, version)"),
        ("warnings_hourly", f"ReplicatedAggregatingMergeTree({path('warnings_hourly')})"),
        ("warning_actions", f"ReplicatedReplacingMergeTree({path('warning_actions')})"),
        ("access_log", f"ReplicatedReplacingMergeTree({path('access_log')})"),
        ("notifications", f"ReplicatedReplacingMergeTree({path('notifications')})"),
        ("notify_audit", f"ReplicatedReplacingMergeTree({path('notify_audit')})"),
        ("obligations", f"ReplicatedReplacingMergeTree({path('obligations')}, version)"),
        ("problems", f"ReplicatedReplacingMergeTree({path('problems')}, version)"),
        ("problem_actions", f"ReplicatedReplacingMergeTree({path('problem_actions')})"),
        ("visits", f"ReplicatedReplacingMergeTree({path('visits')})"),
    ],
)
def test_tables_get_replicated_engines_on_cluster(table, engine):
    sql = BY_TABLE[table].for_database(DB, CLUSTER)
    assert f"CREATE TABLE IF NOT EXISTS {DB}.{table} ON CLUSTER {CLUSTER}\n" in sql
    assert f"ENGINE = {engine}\n" in sql
    assert len(re.findall(r"MergeTree", re.sub(r"(?m)^--.*$", "", sql))) == 1
    # the rest of the statement is the single-server one
    plain = BY_TABLE[table].for_database(DB)
    assert re.sub(r"ENGINE = .*", "", sql).replace(f" ON CLUSTER {CLUSTER}", "") == re.sub(
        r"ENGINE = .*", "", plain)


def test_materialized_view_on_cluster_keeps_its_target_and_query():
    sql = BY_TABLE["warnings_hourly_mv"].for_database(DB, CLUSTER)
    assert (f"CREATE MATERIALIZED VIEW IF NOT EXISTS {DB}.warnings_hourly_mv "
            f"ON CLUSTER {CLUSTER} TO {DB}.warnings_hourly\n") in sql
    assert "ENGINE" not in sql
    assert sql.replace(f" ON CLUSTER {CLUSTER}", "") == BY_TABLE[
        "warnings_hourly_mv"].for_database(DB)


def test_every_migration_file_is_covered():
    assert set(BY_TABLE) == {"events", "warning_history", "measure_state", "warnings_hourly",
                             "warnings_hourly_mv", "warning_actions", "access_log",
                             "notifications", "notify_audit",
                             "obligations", "problems", "problem_actions", "visits"}
    assert [m.id for m in ALTERS] == ["0007_warning_history_offset",
                                      "0008_warning_history_catalogue_version",
                                      "0019_warning_actions_step", "0020_problem_actions_step"]


STEP = "step Nullable(UInt32),\n    ADD COLUMN kafka_offset UInt64 DEFAULT 0"


@pytest.mark.parametrize("alter, table, column", list(zip(ALTERS, [
    "warning_history", "warning_history", "warning_actions", "problem_actions"], [
    "kafka_offset UInt64 DEFAULT 0", "catalogue_version String DEFAULT ''", STEP, STEP],
    strict=True)))
def test_an_added_column_runs_on_cluster(alter, table, column):
    statement = re.sub(r"(?m)^--.*\n", "", alter.for_database(DB, CLUSTER))
    assert statement == f"ALTER TABLE {DB}.{table} ON CLUSTER {CLUSTER} ADD COLUMN {column}"


@pytest.mark.parametrize("present, runs", [(0, True), (1, False)], ids=["new", "there"])
def test_an_added_column_is_added_once(present, runs):
    """18.16 has no ADD COLUMN IF NOT EXISTS: the column is looked up first, so a crash
    between applying and recording the migration is harmless."""
    ran: list[str] = []

    def execute(sql):
        ran.append(sql)
        if sql.startswith("SELECT count() FROM system.columns"):
            return [(present,)]
        return [(m.id,) for m in CREATES] if sql.startswith("SELECT DISTINCT id") else []

    assert migrate(execute, DB) == [m.id for m in ALTERS]
    assert [s for s in ran if "ALTER TABLE" in s] == (
        [m.for_database(DB) for m in ALTERS] if runs else [])
    lookups = [s for s in ran if "system.columns" in s]
    assert "AND name = 'kafka_offset'" in lookups[0]
    assert "AND name = 'catalogue_version'" in lookups[1]
    # both columns of 0019 (and of 0020) come in one statement: its first is looked up
    assert ["AND name = 'step'" in lookup for lookup in lookups[2:]] == [True, True]


def test_database_and_migration_record_on_cluster():
    assert bootstrap_statements(DB, CLUSTER) == [
        f"CREATE DATABASE IF NOT EXISTS {DB} ON CLUSTER {CLUSTER}",
        f"CREATE TABLE IF NOT EXISTS {DB}.schema_migrations ON CLUSTER {CLUSTER} "
        "(id String, applied_at DateTime('UTC')) "
        f"ENGINE = ReplicatedReplacingMergeTree({path('schema_migrations')}) ORDER BY id",
    ]


def test_single_server_ddl_is_unchanged():
    assert bootstrap_statements(DB) == [
        f"CREATE DATABASE IF NOT EXISTS {DB}",
        f"CREATE TABLE IF NOT EXISTS {DB}.schema_migrations "
        "(id String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree() ORDER BY id",
    ]
    for m in MIGRATIONS:
        assert m.for_database(DB) == m.sql.replace("{db}", DB)
        assert "ON CLUSTER" not in m.for_database(DB)
        assert "Replicated" not in m.for_database(DB)


def test_migrate_runs_the_cluster_statements_in_order():
    ran: list[str] = []

    def execute(sql):
        ran.append(sql)
        return [("0001_events",)] if sql.startswith("SELECT") else []

    applied = migrate(execute, DB, cluster=CLUSTER)
    assert applied == [m.id for m in MIGRATIONS[1:]]
    ddl = [s for s in ran if s.startswith(("CREATE", "--"))]
    assert ddl == migration_statements(DB, CLUSTER)[:2] + [
        m.for_database(DB, CLUSTER) for m in MIGRATIONS[1:]]
    inserts = [s for s in ran if s.startswith("INSERT")]
    assert len(inserts) == len(MIGRATIONS) - 1


@pytest.mark.parametrize("cluster", ["", "a b", "x;DROP", "1x", "c'"])
def test_cluster_name_must_be_an_identifier(cluster):
    with pytest.raises(ValueError):
        on_cluster("CREATE DATABASE IF NOT EXISTS cw", DB, cluster)


@pytest.mark.parametrize(
    "sql",
    ["INSERT INTO cw.t VALUES (1)",
     "CREATE TABLE cw.t (a UInt8) ENGINE = MergeTree() ORDER BY a",  # no IF NOT EXISTS
     "CREATE TABLE IF NOT EXISTS cw.t (a UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') "
     "ORDER BY a"],
    ids=["not-create", "not-idempotent", "already-replicated"],
)
def test_statements_it_cannot_translate_are_refused(sql):
    with pytest.raises(ValueError):
        on_cluster(sql, DB, CLUSTER)


@pytest.mark.parametrize(
    "env, cluster",
    [({}, None), ({"CASEWATCH_CLICKHOUSE_CLUSTER": ""}, None),
     ({"CASEWATCH_CLICKHOUSE_CLUSTER": "prod_cluster"}, "prod_cluster")],
)
def test_cluster_setting(env, cluster):
    assert Settings.from_env(env).cluster == cluster


def test_bad_cluster_setting_is_refused():
    with pytest.raises(ValueError, match="cluster"):
        Settings.from_env({"CASEWATCH_CLICKHOUSE_CLUSTER": "prod cluster"})


def test_current_clickhouse_parses_the_cluster_ddl():
    chdb = pytest.importorskip("chdb")
    for sql in migration_statements(DB, CLUSTER):
        ast = str(chdb.query(f"EXPLAIN AST {sql}", "TSV"))
        assert ("AlterQuery" if "ALTER TABLE" in sql else "CreateQuery") in ast
    with pytest.raises(Exception, match="Syntax error"):
        chdb.query(f"EXPLAIN AST {migration_statements(DB, CLUSTER)[2]} ON CLUSTER", "TSV")
