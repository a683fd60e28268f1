"""Apply the SQL files in sinks/clickhouse/migrations/ in order, once each, recording them.

Each file holds one statement; `{db}` stands for the database name. Every statement is
`CREATE ... IF NOT EXISTS` or `ALTER TABLE ... ADD COLUMN`, the latter skipped when the
column exists already (ClickHouse 18.16 has no `ADD COLUMN IF NOT EXISTS`; an ALTER adding
several columns in one statement, which applies them together, is skipped when its first
column exists), so a crash
between applying a file and recording it is harmless: the next run is a no-op. `execute`
is any callable that runs one SQL statement and returns its rows as tuples
(clickhouse_driver's Client.execute, sinks.clickhouse.embedded.Embedded.execute, ...).

With a `cluster` name (CASEWATCH_CLICKHOUSE_CLUSTER) the same files are applied to every
node of that ClickHouse cluster: each statement gets `ON CLUSTER`, and each MergeTree
engine becomes its Replicated twin, kept under `/clickhouse/tables/{shard}/<db>/<table>`
with replica name `{replica}` (macros every node defines in its configuration).
"""

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

Execute = Callable[[str], Sequence[tuple]]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_ID = r"\d{4}_[a-z0-9_]+"
_FILE_NAME = re.compile(rf"^({_MIGRATION_ID})\.sql$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Migration:
    id: str
    sql: str

    def for_database(self, db: str, cluster: str | None = None) -> str:
        sql = self.sql.replace("{db}", db)
        return sql if cluster is None else on_cluster(sql, db, cluster)


_CREATE = re.compile(
    r"^(\s*CREATE\s+(?:TABLE|MATERIALIZED\s+VIEW|VIEW|DATABASE)\s+IF\s+NOT\s+EXISTS\s+"
    r"(?:[A-Za-z_][A-Za-z0-9_]*\.)?([A-Za-z_][A-Za-z0-9_]*))", re.I | re.M)
_ENGINE = re.compile(r"\bENGINE\s*=\s*([A-Za-z]*MergeTree)\s*\(([^)]*)\)", re.I)
_ADD_COLUMN = re.compile(
    r"^(\s*ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*))"
    r"\s+ADD\s+COLUMN\s+([A-Za-z_][A-Za-z0-9_]*)\b", re.I | re.M)


def on_cluster(sql: str, db: str, cluster: str) -> str:
    """One statement for every node of `cluster`: `ON CLUSTER` after the created object's
    name, and a MergeTree engine replaced by its Replicated twin (same parameters after the
    ZooKeeper path and replica name)."""
    check_identifier(cluster)
    alter = _ADD_COLUMN.search(sql)
    if alter is not None:
        return sql[: alter.end(1)] + f" ON CLUSTER {cluster}" + sql[alter.end(1):]
    match = _CREATE.search(sql)
    if match is None:
        raise ValueError(f"not a CREATE ... IF NOT EXISTS statement: {sql[:60]!r}")
    name = match.group(2)
    sql = sql[: match.end()] + f" ON CLUSTER {cluster}" + sql[match.end():]

    def replicated(engine: re.Match) -> str:
        kind, params = engine.group(1), engine.group(2).strip()
        if kind.lower().startswith("replicated"):
            raise ValueError(f"{name}: already a Replicated engine")
        args = [f"'/clickhouse/tables/{{shard}}/{db}/{name}'", "'{replica}'"]
        return f"ENGINE = Replicated{kind}({', '.join(args + ([params] if params else []))})"

    return _ENGINE.sub(replicated, sql)


def _column_exists(execute: Execute, statement: str) -> bool:
    """True when `statement` adds a column that its table has already."""
    alter = _ADD_COLUMN.search(statement)
    if alter is None:
        return False
    _, db, table, column = alter.groups()
    rows = execute("SELECT count() FROM system.columns WHERE database = "
                   f"'{db}' AND table = '{table}' AND name = '{column}'")
    return int(rows[0][0]) > 0


def check_identifier(name: str) -> str:
    """Return `name` if it is safe to splice into SQL as a database name, else raise."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    out = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path.name}")
        sql = path.read_text(encoding="utf-8").strip().rstrip(";").strip()
        out.append(Migration(match.group(1), sql))
    return out


def applied_migrations(execute: Execute, db: str = "casewatch") -> list[str]:
    rows = execute(f"SELECT DISTINCT id FROM {check_identifier(db)}.schema_migrations ORDER BY id")
    return [row[0] for row in rows]


def bootstrap_statements(db: str, cluster: str | None = None) -> list[str]:
    """The database and the table recording applied migrations."""
    check_identifier(db)
    statements = [
        f"CREATE DATABASE IF NOT EXISTS {db}",
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations "
        "(id String, applied_at DateTime('UTC')) "
        "ENGINE = ReplacingMergeTree() ORDER BY id",
    ]
    if cluster is None:
        return statements
    return [on_cluster(sql, db, cluster) for sql in statements]


def migration_statements(db: str, cluster: str | None = None,
                         migrations: list[Migration] | None = None) -> list[str]:
    """Every statement `migrate` may run on an empty server, in order (for review)."""
    return bootstrap_statements(db, cluster) + [
        m.for_database(db, cluster) for m in (load_migrations() if migrations is None
                                              else migrations)]


def migrate(
    execute: Execute, db: str = "casewatch", migrations: list[Migration] | None = None,
    cluster: str | None = None,
) -> list[str]:
    """Create the database if missing and apply pending migrations; return the ids applied.

    With `cluster`, every statement runs `ON CLUSTER` with Replicated engines; the record of
    applied migrations is itself replicated, so every node agrees on what is done."""
    for statement in bootstrap_statements(db, cluster):
        execute(statement)
    done = set(applied_migrations(execute, db))
    applied = []
    for migration in load_migrations() if migrations is None else migrations:
        if migration.id in done:
            continue
        if not re.fullmatch(_MIGRATION_ID, migration.id):
            raise ValueError(f"bad migration id: {migration.id!r}")
        log.info("applying migration %s to database %s", migration.id, db)
        statement = migration.for_database(db, cluster)
        if not _column_exists(execute, statement):
            execute(statement)
        execute(
            f"INSERT INTO {db}.schema_migrations (id, applied_at) SELECT '{migration.id}', now()"
        )
        applied.append(migration.id)
    return applied


class MigratingWriter:
    """A writer (sinks.clickhouse.batch.Writer) that applies pending migrations before its
    first insert.

    A sink may start while ClickHouse is down: it still joins its consumer group, and the
    migrations are retried with its writes until they succeed.
    """

    def __init__(self, writer, execute: Execute, db: str):
        self.writer = writer
        self.execute = execute
        self.db = check_identifier(db)
        self.migrated = False

    def migrate(self) -> None:
        if not self.migrated:
            migrate(self.execute, self.db)
            self.migrated = True

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        self.migrate()
        self.writer.insert(table, columns, rows)
