"""Buffer rows per table and write them in one insert per table, in line with offsets.

The contract is quixstreams' sink: `add()` buffers a row together with the Kafka
partition and offset it came from; `flush()` writes every buffered row and returns, per
partition, the highest offset now durable in ClickHouse. Only then may the caller commit
(offset + 1). If a write fails, `flush()` raises FlushError and keeps the rows that were
not written: the caller must not commit, and retries `flush()` later. Re-writing rows is
safe because every table collapses copies of a row by key (see docs/clickhouse.md).
"""

import logging
import time
from collections.abc import Callable, Hashable
from typing import Protocol

from sinks.migrate import check_identifier
from sinks.rows import COLUMNS

log = logging.getLogger(__name__)


class Writer(Protocol):
    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None: ...


class FlushError(RuntimeError):
    """A table's rows could not be written; they stay buffered and nothing may be committed."""

    def __init__(self, table: str, rows: int, cause: BaseException):
        super().__init__(f"writing {rows} rows to {table} failed: {type(cause).__name__}: {cause}")
        self.table = table


class Batch:
    def __init__(
        self,
        writer: Writer,
        *,
        db: str = "casewatch",
        max_rows: int = 5000,
        max_age: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.writer = writer
        self.db = check_identifier(db)
        self.max_rows = max_rows
        self.max_age = max_age
        self._clock = clock
        self._rows: dict[str, list[tuple]] = {}
        self._offsets: dict[Hashable, int] = {}
        self._first_added: float | None = None

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def add(self, table: str, row: tuple, partition: Hashable, offset: int) -> None:
        """Buffer `row` for `table`; `partition` is a partition number or (topic, partition)."""
        columns = COLUMNS.get(table)
        if columns is None:
            raise KeyError(f"unknown table {table!r}; known: {sorted(COLUMNS)}")
        if len(row) != len(columns):
            raise ValueError(f"{table} row has {len(row)} values, expected {len(columns)}")
        self._rows.setdefault(table, []).append(row)
        self._offsets[partition] = max(offset, self._offsets.get(partition, offset))
        if self._first_added is None:
            self._first_added = self._clock()

    def should_flush(self) -> bool:
        if self._first_added is None:
            return False
        return len(self) >= self.max_rows or self._clock() - self._first_added >= self.max_age

    def flush(self) -> dict[Hashable, int]:
        """Write all buffered rows; return {partition: highest offset written}, or raise."""
        for table in list(self._rows):
            rows = self._rows[table]
            try:
                self.writer.insert(f"{self.db}.{table}", COLUMNS[table], rows)
            except Exception as exc:
                log.warning(
                    "flush of %d rows to %s failed, keeping them: %s", len(rows), table, exc
                )
                raise FlushError(table, len(rows), exc) from exc
            del self._rows[table]  # written; a later failure elsewhere need not repeat it
        durable, self._offsets, self._first_added = self._offsets, {}, None
        return durable
