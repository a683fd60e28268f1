"""Apply the SQL files in sinks/migrations/ in order, once each, recording them.

Each file holds one statement; `{db}` stands for the database name. Every statement is
`CREATE ... IF NOT EXISTS`, so a crash between applying a file and recording it is
harmless: the next run applies it again as a no-op. `execute` is any callable that runs
one SQL statement and returns its rows as tuples (clickhouse_driver's Client.execute,
sinks.embedded.Embedded.execute, ...).
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

    def for_database(self, db: str) -> str:
        return self.sql.replace("{db}", db)


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


def migrate(
    execute: Execute, db: str = "casewatch", migrations: list[Migration] | None = None
) -> list[str]:
    """Create the database if missing and apply pending migrations; return the ids applied."""
    check_identifier(db)
    execute(f"CREATE DATABASE IF NOT EXISTS {db}")
    execute(
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations "
        "(id String, applied_at DateTime('UTC')) "
        "ENGINE = ReplacingMergeTree() ORDER BY id"
    )
    done = set(applied_migrations(execute, db))
    applied = []
    for migration in load_migrations() if migrations is None else migrations:
        if migration.id in done:
            continue
        if not re.fullmatch(_MIGRATION_ID, migration.id):
            raise ValueError(f"bad migration id: {migration.id!r}")
        log.info("applying migration %s to database %s", migration.id, db)
        execute(migration.for_database(db))
        execute(
            f"INSERT INTO {db}.schema_migrations (id, applied_at) SELECT '{migration.id}', now()"
        )
        applied.append(migration.id)
    return applied


class MigratingWriter:
    """A writer (sinks.batch.Writer) that applies pending migrations before its first insert.

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
