"""The ClickHouse sink of the contract in sinks/base.py: one insert per table per flush.

Rows are buffered per source partition, so a rebalance can drop exactly the rows of the
partitions it took away. `flush()` writes each table's rows of every partition in one
insert; if an insert fails it raises FlushError and keeps that table's rows and the rest
(tables already written are not written again). Re-writing rows is safe anyway: every
table collapses copies of a row by key (see docs/clickhouse.md).
"""

import logging
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from sinks.base import Partition, Row, Sink
from sinks.clickhouse.migrate import check_identifier
from sinks.clickhouse.rows import COLUMNS

log = logging.getLogger(__name__)


class Writer(Protocol):
    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None: ...


class FlushError(RuntimeError):
    """A table's rows could not be written; they stay buffered and nothing may be committed."""

    def __init__(self, table: str, rows: int, cause: BaseException):
        super().__init__(f"writing {rows} rows to {table} failed: {type(cause).__name__}: {cause}")
        self.table = table


class Batch(Sink):
    def __init__(
        self,
        writer: Writer,
        *,
        db: str = "casewatch",
        max_rows: int = 5000,
        max_age: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        on_written: Callable[[str, int], None] = lambda table, rows: None,
    ):
        self.writer = writer
        self.db = check_identifier(db)
        self.max_rows = max_rows
        self.max_age = max_age
        self._clock = clock
        self._on_written = on_written
        self._rows: dict[Partition, dict[str, list[tuple]]] = {}
        self._offsets: dict[Partition, int] = {}
        self._first_added: float | None = None

    def __len__(self) -> int:
        return sum(len(rows) for tables in self._rows.values() for rows in tables.values())

    def add(self, topic: str, partition: int, offset: int, rows: Iterable[Row]) -> None:
        """Buffer the rows of the record at `offset`; `rows` may be empty."""
        rows = list(rows)
        for table, row in rows:  # check all before keeping any
            columns = COLUMNS.get(table)
            if columns is None:
                raise KeyError(f"unknown table {table!r}; known: {sorted(COLUMNS)}")
            if len(row) != len(columns):
                raise ValueError(f"{table} row has {len(row)} values, expected {len(columns)}")
        tp = (topic, partition)
        tables = self._rows.setdefault(tp, {})
        for table, row in rows:
            tables.setdefault(table, []).append(row)
        self._offsets[tp] = max(offset, self._offsets.get(tp, offset))
        if self._first_added is None:
            self._first_added = self._clock()

    def pending(self) -> bool:
        return bool(self._offsets)

    def should_flush(self) -> bool:
        if self._first_added is None:
            return False
        return len(self) >= self.max_rows or self._clock() - self._first_added >= self.max_age

    def flush(self) -> dict[Partition, int]:
        """Write all buffered rows; return {(topic, partition): highest offset}, or raise."""
        for table in COLUMNS:
            rows = [row for tables in self._rows.values() for row in tables.get(table, ())]
            if not rows:
                continue
            try:
                self.writer.insert(f"{self.db}.{table}", COLUMNS[table], rows)
            except Exception as exc:
                log.warning(
                    "flush of %d rows to %s failed, keeping them: %s", len(rows), table, exc
                )
                raise FlushError(table, len(rows), exc) from exc
            for tables in self._rows.values():  # written; a later failure need not repeat it
                tables.pop(table, None)
            self._on_written(table, len(rows))
        durable = self._offsets
        self._rows, self._offsets, self._first_added = {}, {}, None
        return durable

    def revoke(self, partitions: Iterable[Partition]) -> None:
        """Drop the rows and offsets of `partitions`: their new owner reads them again."""
        for tp in partitions:
            self._rows.pop(tp, None)
            self._offsets.pop(tp, None)
        if not self._offsets:
            self._first_added = None
