"""The due-time index of one worker: which case needs re-evaluating when, per partition.

A heap per partition with lazy deletion: setting a case's time pushes a new entry and
supersedes the old one; popping skips superseded entries. Each operation is O(log n); a
tick looks only at the heads, never scans the table. The index lives in memory and is
rebuilt from the partition's local store when partitions are assigned.
"""

import heapq
from collections.abc import Iterable


class DueIndex:
    def __init__(self) -> None:
        self._heaps: dict[int, list[tuple[float, str]]] = {}
        self._current: dict[int, dict[str, float]] = {}

    def set(self, partition: int, case_id: str, at: float | None) -> None:
        current = self._current.setdefault(partition, {})
        if at is None:
            current.pop(case_id, None)
            return
        if current.get(case_id) == at:
            return
        current[case_id] = at
        heapq.heappush(self._heaps.setdefault(partition, []), (at, case_id))

    def pop_due(self, now: float, limit: int | None = None,
                partitions: Iterable[int] | None = None) -> list[tuple[int, str, float]]:
        """Remove and return (partition, case_id, at) of the entries due at or before `now`,
        at most `limit` of them, of `partitions` (default: all)."""
        out: list[tuple[int, str, float]] = []
        wanted = None if partitions is None else set(partitions)
        for partition, heap in self._heaps.items():
            if wanted is not None and partition not in wanted:
                continue
            current = self._current[partition]
            while heap and heap[0][0] <= now and (limit is None or len(out) < limit):
                at, case_id = heapq.heappop(heap)
                if current.get(case_id) == at:
                    del current[case_id]
                    out.append((partition, case_id, at))
        return out

    def oldest(self) -> float | None:
        """The earliest pending time, or None."""
        heads = []
        for partition, heap in self._heaps.items():
            current = self._current[partition]
            while heap and current.get(heap[0][1]) != heap[0][0]:
                heapq.heappop(heap)
            if heap:
                heads.append(heap[0][0])
        return min(heads, default=None)

    def __len__(self) -> int:
        return sum(len(c) for c in self._current.values())

    def keep_only(self, partitions: Iterable[int]) -> None:
        """Forget partitions this worker no longer owns."""
        keep = set(partitions)
        for partition in list(self._heaps):
            if partition not in keep:
                del self._heaps[partition], self._current[partition]

    def rebuild(self, partition: int, entries: Iterable[tuple[str, float]]) -> None:
        """Replace a partition's entries, e.g. from its store after recovery."""
        current = {case_id: at for case_id, at in entries}
        self._current[partition] = current
        heap = [(at, case_id) for case_id, at in current.items()]
        heapq.heapify(heap)
        self._heaps[partition] = heap
