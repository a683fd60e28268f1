"""The sink contract: buffer rows with their source offsets, write them, say what to commit.

Modelled on quixstreams' `BatchingSink`, with one difference kept on purpose: a failed
write keeps its rows and offsets (quixstreams drops them), so the caller retries.

- `add(topic, partition, offset, rows)`: buffer the rows one source record yields (possibly
  none: its offset still counts, e.g. for a dead-lettered record);
- `flush()`: write everything buffered and return, per (topic, partition), the highest
  source offset now durable; commit `offset + 1` only then. A failed write raises and keeps
  what was not written: nothing of it may be committed;
- `revoke(partitions)`: forget what was buffered for partitions a rebalance took away; the
  new owner reads them again from the last commit, so nothing is lost.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

#: (topic, partition); aiokafka's TopicPartition is such a tuple.
Partition = tuple[str, int]
#: (table, row tuple), the row in the column order of sinks.clickhouse.rows.COLUMNS[table]
Row = tuple[str, tuple]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row of a record that cannot be written (a value outside its column's range, a row
    that does not validate): dead-lettered on its own, while the record's other rows are
    written. `value` is the row as it came (JSON), `reason` says which row and why."""

    reason: str
    value: bytes


class Sink(ABC):
    @abstractmethod
    def add(self, topic: str, partition: int, offset: int, rows: Iterable[Row]) -> None: ...

    @abstractmethod
    def pending(self) -> bool:
        """Whether anything (rows or offsets) waits for `flush()`."""

    @abstractmethod
    def should_flush(self) -> bool: ...

    @abstractmethod
    def flush(self) -> dict[Partition, int]: ...

    @abstractmethod
    def revoke(self, partitions: Iterable[Partition]) -> None: ...
