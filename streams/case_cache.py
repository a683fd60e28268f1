"""The parsed cases kept in memory: bounded by count (the least recently used leave after
each job), and idle cases without a due leave after a retention.

A case is keyed by its partition and id: a partition's cases leave together when the
partition does, and are never mixed with another partition's. A case that leaves is not
lost: its state is in the partition's store and is reloaded on its next message or due.
"""

from collections import OrderedDict
from collections.abc import Iterable

from streams.case_logic import CaseLogic

Key = tuple[int, str]


class CaseCache:
    def __init__(self, capacity: int, retention: float):
        self.capacity = capacity
        self.retention = retention
        self._cases: OrderedDict[Key, tuple[CaseLogic, float]] = OrderedDict()

    def get(self, partition: int, case_id: str) -> CaseLogic | None:
        held = self._cases.get((partition, case_id))
        if held is None:
            return None
        self._cases.move_to_end((partition, case_id))
        return held[0]

    def put(self, partition: int, case_id: str, logic: CaseLogic, now: float) -> None:
        self._cases[(partition, case_id)] = (logic, now)
        self._cases.move_to_end((partition, case_id))

    def trim(self) -> int:
        """Drop the least recently used cases over capacity; return how many left. Called
        after every job, so a job's new cases push out at most as many old ones: never the
        tens of thousands that pile up between two runs of a timer, freed in one pause."""
        gone = max(0, len(self._cases) - self.capacity)
        for _ in range(gone):
            self._cases.popitem(last=False)
        return gone

    def drop(self, partition: int, case_id: str) -> None:
        self._cases.pop((partition, case_id), None)

    def evict(self, now: float, limit: int) -> int:
        """Drop idle cases with nothing due after the retention, at most `limit` of them
        (freeing a case takes time: the caller hands the event loop back between calls);
        return how many left."""
        idle = []
        for key, (logic, touched) in self._cases.items():
            if now - touched < self.retention or len(idle) == limit:
                break  # in touch order: the rest are more recent
            if logic.next_due() is None:
                idle.append(key)
        for key in idle:
            del self._cases[key]
        return len(idle)

    def drop_partitions(self, partitions: Iterable[int]) -> None:
        gone = set(partitions)
        for key in [k for k in self._cases if k[0] in gone]:
            del self._cases[key]

    def __len__(self) -> int:
        return len(self._cases)
