"""The ClickHouse users deploy/stack creates: `casewatch_writer` (the sink) migrates and
writes, `casewatch_reader` (dashboards, the report) reads and can change nothing, and
`default` keeps working for the tools and tests that use it. Dev-default passwords."""

import uuid

import pytest
from clickhouse_driver.errors import ServerException

from sinks.clickhouse.batch import Batch
from sinks.clickhouse.client import ClickHouse, Settings
from sinks.clickhouse.migrate import migrate
from sinks.clickhouse.reader import reader_settings, wait_for_reader
from sinks.clickhouse.rows import WARNING_HISTORY
from tests.support.quality_seed import warning_rows

WRITER = Settings(user="casewatch_writer", password="casewatch-writer-dev")


@pytest.fixture
def db(stack):
    wait_for_reader(reader_settings({}), timeout=30)
    wait_for_reader(WRITER, timeout=30)
    name = f"casewatch_users_{uuid.uuid4().hex[:10]}"
    yield name
    ClickHouse(Settings()).execute(f"DROP DATABASE IF EXISTS {name}")


def test_writer_migrates_and_writes_reader_reads(db):
    writer = ClickHouse(WRITER)
    migrate(writer.execute, db)
    batch = Batch(writer, db=db)
    for offset, row in enumerate(warning_rows()):
        batch.add("seed", 0, offset, [(WARNING_HISTORY, row)])
    batch.flush()
    reader = ClickHouse(reader_settings({}))
    count = reader.execute(f"SELECT uniqExact(warning_id) FROM {db}.warning_history")
    assert count == [(len({row[0] for row in warning_rows()}),)]
    assert ClickHouse(Settings()).execute("SELECT 1") == [(1,)]  # default still works


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE DATABASE {db}_x",
        "INSERT INTO {db}.t VALUES (1)",
        "DROP TABLE {db}.t",
        "ALTER TABLE {db}.t DELETE WHERE x = 1",
    ],
)
def test_reader_cannot_change_anything(db, statement):
    admin = ClickHouse(Settings())
    admin.execute(f"CREATE DATABASE {db}")
    admin.execute(f"CREATE TABLE {db}.t (x UInt8) ENGINE = MergeTree() ORDER BY x")
    reader = ClickHouse(reader_settings({}))
    with pytest.raises(ServerException, match="(?i)readonly"):
        reader.execute(statement.format(db=db))
    assert reader.execute(f"SELECT count() FROM {db}.t") == [(0,)]


def test_a_wrong_password_is_refused(stack):
    wait_for_reader(reader_settings({}), timeout=30)  # the users exist: the password is wrong
    wrong = ClickHouse(reader_settings({"CASEWATCH_CLICKHOUSE_READER_PASSWORD": "wrong"}))
    with pytest.raises(ServerException, match="(?i)password"):
        wrong.execute("SELECT 1")
