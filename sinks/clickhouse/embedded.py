"""An in-process ClickHouse (chDB) with the same two calls as sinks.clickhouse.client.ClickHouse:
`execute(sql) -> rows` and `insert(table, columns, rows)`. For tests and local tools.

Rows are sent as SQL literals rendered strictly against the table's declared types
(sinks.clickhouse.literals), so a wrong type fails here as it would under clickhouse_driver's
types_check.
"""

import json

from sinks.clickhouse.literals import render_row
from sinks.clickhouse.migrate import check_identifier


class Embedded:
    def __init__(self, path: str | None = None):
        from chdb import session  # optional dependency: only tests and tools need it

        self._session = session.Session(path) if path else session.Session()
        self._types: dict[str, dict[str, str]] = {}

    def execute(self, sql: str) -> list[tuple]:
        result = self._session.query(sql, "JSONCompact")
        text = result.bytes() if hasattr(result, "bytes") else bytes(result)
        if not text.strip():
            return []
        return [tuple(row) for row in json.loads(text)["data"]]

    def column_types(self, table: str) -> dict[str, str]:
        """Column name -> ClickHouse type of `db.table`, as the server declares it."""
        if table not in self._types:
            db, name = (check_identifier(part) for part in table.split(".", 1))
            rows = self.execute(f"DESCRIBE TABLE {db}.{name}")
            self._types[table] = {row[0]: row[1] for row in rows}
        return self._types[table]

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        types = self.column_types(table)
        if not set(columns) <= types.keys():  # a column added since: describe it again
            self._types.pop(table)
            types = self.column_types(table)
        typed = [(name, types[name]) for name in columns]
        values = ",\n".join(render_row(row, typed) for row in rows)
        self.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}")

    def close(self) -> None:
        self._session.close()
