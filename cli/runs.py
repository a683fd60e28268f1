"""Sorted runs on disk: the external sort under `casewatch evaluate` and `whatif`.

Records (tuples, compared as tuples) are added in any order; every `limit` of them are
sorted and written to a run file as pickled batches; `merge` reads any number of runs back
as one sorted stream, holding one batch per run in memory. Run files are the process's
own temporary files (pickle is read back only from there).
"""

import heapq
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path

BATCH = 2048  # records per pickled batch: what a reader holds of each run


class RunWriter:
    """Records spilled to sorted run files named `<prefix>-<n>.run` in `directory`."""

    def __init__(self, directory: Path, prefix: str, limit: int = 200_000):
        self.directory, self.prefix, self.limit = directory, prefix, limit
        self.buffer: list[tuple] = []
        self.paths: list[Path] = []
        self.count = 0

    def add(self, record: tuple) -> None:
        self.buffer.append(record)
        if len(self.buffer) >= self.limit:
            self.spill()

    def spill(self) -> None:
        if not self.buffer:
            return
        self.buffer.sort()
        path = self.directory / f"{self.prefix}-{len(self.paths)}.run"
        write_run(path, self.buffer)
        self.count += len(self.buffer)
        self.paths.append(path)
        self.buffer = []

    def close(self) -> list[Path]:
        """Every run written (the rest of the buffer spilled)."""
        self.spill()
        return self.paths


def write_run(path: Path, records: Iterable[tuple]) -> int:
    """Records already in order, as a run; the number written."""
    n = 0
    with path.open("wb") as f:
        batch: list[tuple] = []
        for record in records:
            batch.append(record)
            if len(batch) >= BATCH:
                pickle.dump(batch, f, protocol=pickle.HIGHEST_PROTOCOL)
                n += len(batch)
                batch = []
        if batch:
            pickle.dump(batch, f, protocol=pickle.HIGHEST_PROTOCOL)
            n += len(batch)
    return n


def read_run(path: Path) -> Iterator[tuple]:
    with path.open("rb") as f:
        while True:
            try:
                batch = pickle.load(f)
            except EOFError:
                return
            yield from batch


def merge(paths: Iterable[Path]) -> Iterator[tuple]:
    """The records of every run, in order."""
    readers = [read_run(p) for p in paths]
    if len(readers) == 1:
        return readers[0]
    return heapq.merge(*readers)
