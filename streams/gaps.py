"""Offsets the case agent never saw: a safety net under Faust's consumer.

Faust can skip a run of records right after a rebalance: its recovery resumes the stream
partitions before seeking them to the committed offsets, and records fetched in between
are dropped while counted as read (faust-streaming/faust#216 describes the same race).
Kafka offsets of a plain topic are contiguous, so a jump in what the agent sees, or a
first offset past the committed one (past 0 for a new consumer group: the race also hits a
worker's very first start while events arrive), names exactly what was skipped; the healer
reads back only what the partition still holds. Pure: no I/O here.
"""

from collections.abc import Hashable


class GapTracker:
    def __init__(self) -> None:
        self._last: dict[Hashable, int] = {}

    def observe(self, tp: Hashable, offset: int, committed: int | None) -> tuple[int, int] | None:
        """Record `offset`; return the skipped range [start, end) before it, if any."""
        last = self._last.get(tp)
        self._last[tp] = offset if last is None else max(last, offset)
        if last is not None:
            expected = last + 1
        else:  # nothing committed yet: the group starts at the beginning of the partition
            expected = committed if committed is not None else 0
        if expected is not None and offset > expected:
            return expected, offset
        return None

    def reset(self) -> None:
        """After a rebalance: positions start again from the committed offsets."""
        self._last.clear()
