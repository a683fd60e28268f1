"""The ClickHouse sink against the real server started by deploy/stack (ClickHouse 18.16).

The server is the `stack` fixture's (tests/integration/conftest.py); user, password and,
without that fixture, host and port come from CASEWATCH_CLICKHOUSE_* (default
127.0.0.1:9000, user default). Each test works in a fresh database, dropped afterwards.
"""

import socket
import uuid

import pytest

from sinks.clickhouse.batch import Batch, FlushError
from sinks.clickhouse.client import ClickHouse, Settings
from sinks.clickhouse.migrate import applied_migrations, load_migrations, migrate
from sinks.clickhouse.rows import COLUMNS, WARNING_HISTORY
from tests.support.clickhouse_scenario import EXPECTED, later, observe, scenario_rows
from tests.support.version_upgrade import check_upgrade

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(request) -> ClickHouse:
    settings = Settings.from_env()
    try:
        stack = request.getfixturevalue("stack")  # starts the stack if it is not running
        settings = settings.model_copy(
            update={"host": stack.clickhouse_host, "port": stack.clickhouse_port}
        )
    except pytest.FixtureLookupError:
        pass  # no such fixture: expect a server that is already running
    ch = ClickHouse(settings)
    try:
        ch.wait_until_available(timeout=60)
    except TimeoutError as exc:
        pytest.fail(f"{exc}; is the stack up (deploy/stack start)?", pytrace=False)
    return ch


@pytest.fixture
def db(server):
    name = f"casewatch_it_{uuid.uuid4().hex[:12]}"
    yield name
    server.execute(f"DROP DATABASE IF EXISTS {name}")


def add_scenario(batch: Batch, **kw) -> None:
    for table, row, partition, offset in scenario_rows(**kw):
        batch.add("scenario", partition, offset, [(table, row)])


def test_migrations_retries_and_queries(server, db):
    ids = [m.id for m in load_migrations()]
    assert migrate(server.execute, db) == ids
    assert migrate(server.execute, db) == []
    assert applied_migrations(server.execute, db) == ids
    for table, columns in COLUMNS.items():
        described = server.execute(f"DESCRIBE TABLE {db}.{table}")
        assert tuple(row[0] for row in described) == columns

    batch = Batch(server, db=db)
    for kw in ({}, {}, {"emitted_at": later()}):  # write, identical retry, replay
        add_scenario(batch, **kw)
        assert batch.flush() == {("scenario", 0): 2, ("scenario", 1): 4, ("scenario", 2): 12}
    assert observe(server.execute, db) == EXPECTED


def test_the_catalogue_version_column_is_added_to_existing_history(server, db):
    check_upgrade(server, db)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_flush_while_unreachable_keeps_rows_then_succeeds(server, db):
    migrate(server.execute, db)
    unreachable = server.settings.model_copy(update={"port": free_port(), "connect_timeout": 1})
    batch = Batch(ClickHouse(unreachable), db=db)
    add_scenario(batch)
    pending = len(batch)
    with pytest.raises(FlushError, match="events"):
        batch.flush()
    assert len(batch) == pending
    batch.writer = server
    assert batch.flush() == {("scenario", 0): 2, ("scenario", 1): 4, ("scenario", 2): 12}
    assert observe(server.execute, db) == EXPECTED


def test_wrong_type_is_rejected_and_kept(server, db):
    migrate(server.execute, db)
    batch = Batch(server, db=db)
    table, row, partition, offset = next(r for r in scenario_rows() if r[0] == WARNING_HISTORY)
    late = COLUMNS[WARNING_HISTORY].index("late")
    batch.add("scenario", partition, offset, [(table, row[:late] + ("x",) + row[late + 1 :])])
    with pytest.raises(FlushError, match=r"warning_history.*Nullable\(UInt8\).*late"):
        batch.flush()
    assert len(batch) == 1
    assert server.execute(f"SELECT count() FROM {db}.warning_history") == [(0,)]
