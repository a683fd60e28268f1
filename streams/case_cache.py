"""The parsed cases kept in memory: bounded by count, idle cases without a due leave first.

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

    def drop(self, partition: int, case_id: str) -> None:
        self._cases.pop((partition, case_id), None)

    def evict(self, now: float) -> int:
        """Drop the least recently used cases over capacity, and idle cases with nothing
        due after the retention; return how many left."""
        gone = 0
        while len(self._cases) > self.capacity:
            self._cases.popitem(last=False)
            gone += 1
        for key, (logic, touched) in list(self._cases.items()):
            if now - touched < self.retention:
                break  # in touch order: the rest are more recent
            if logic.next_due() is None:
                del self._cases[key]
                gone += 1
        return gone

    def drop_partitions(self, partitions: Iterable[int]) -> None:
        gone = set(partitions)
        for key in [k for k in self._cases if k[0] in gone]:
            del self._cases[key]

    def __len__(self) -> int:
        return len(self._cases)
