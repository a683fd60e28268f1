"""sinks.clickhouse.migrate.MigratingWriter: migrations retried with the writes until they
succeed."""

import pytest

from sinks.clickhouse.migrate import MigratingWriter


class Server:
    def __init__(self):
        self.up = False
        self.statements: list[str] = []
        self.inserts: list[str] = []

    def execute(self, sql: str):
        if not self.up:
            raise ConnectionError("down")
        self.statements.append(sql)
        return [(0,)] if sql.startswith("SELECT count()") else []  # no such column yet

    def insert(self, table, columns, rows):
        self.inserts.append(table)


def test_inserts_wait_for_the_migrations_which_run_once():
    server = Server()
    writer = MigratingWriter(server, server.execute, "cw")
    with pytest.raises(ConnectionError):
        writer.insert("cw.events", ("a",), [(1,)])
    assert server.inserts == [] and not writer.migrated
    server.up = True
    writer.insert("cw.events", ("a",), [(1,)])
    applied = len(server.statements)
    writer.insert("cw.events", ("a",), [(2,)])
    assert writer.migrated and server.inserts == ["cw.events", "cw.events"]
    assert len(server.statements) == applied  # not migrated again
    assert any("CREATE TABLE IF NOT EXISTS cw.events" in s for s in server.statements)


def test_a_database_name_that_is_not_an_identifier_is_refused():
    with pytest.raises(ValueError):
        MigratingWriter(Server(), Server().execute, "cw; DROP")
