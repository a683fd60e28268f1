"""The parsed cases kept in memory: bounded by count, idle cases without a due leave first.

A case that leaves is not lost: its state is in the partition's store and is reloaded on
its next message or due.
"""

from collections import OrderedDict
from collections.abc import Iterable

from streams.case_logic import CaseLogic


class CaseCache:
    def __init__(self, capacity: int, retention: float):
        self.capacity = capacity
        self.retention = retention
        self._cases: OrderedDict[str, tuple[CaseLogic, int, float]] = OrderedDict()

    def get(self, case_id: str) -> CaseLogic | None:
        held = self._cases.get(case_id)
        if held is None:
            return None
        self._cases.move_to_end(case_id)
        return held[0]

    def put(self, case_id: str, logic: CaseLogic, partition: int, now: float) -> None:
        self._cases[case_id] = (logic, partition, now)
        self._cases.move_to_end(case_id)

    def drop(self, case_id: str) -> None:
        self._cases.pop(case_id, None)

    def evict(self, now: float) -> int:
        """Drop the least recently used cases over capacity, and idle cases with nothing
        due after the retention; return how many left."""
        gone = 0
        while len(self._cases) > self.capacity:
            self._cases.popitem(last=False)
            gone += 1
        for case_id, (logic, _, touched) in list(self._cases.items()):
            if now - touched < self.retention:
                break  # in touch order: the rest are more recent
            if logic.next_due() is None:
                del self._cases[case_id]
                gone += 1
        return gone

    def drop_partitions(self, partitions: Iterable[int]) -> None:
        gone = set(partitions)
        for case_id in [c for c, (_, p, _) in self._cases.items() if p in gone]:
            del self._cases[case_id]

    def __len__(self) -> int:
        return len(self._cases)
