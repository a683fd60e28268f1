"""streams.gaps.GapTracker: offsets the case agent never saw, from jumps in what it sees."""

import pytest

from streams.gaps import GapTracker

TP = ("casewatch.case-events", 0)

# Each step: (offset, committed offset Faust reports, expected skipped range or None)
SEQUENCES = {
    "contiguous from the committed offset": [(5, 5, None), (6, 5, None), (7, 6, None)],
    "contiguous with nothing committed yet": [(0, None, None), (1, None, None), (2, 0, None)],
    "first offset past 0 with nothing committed yet": [(4, None, (0, 4)), (5, None, None)],
    "first offset past the committed one": [(8, 5, (5, 8)), (9, 5, None)],
    "first offset one past the committed one": [(6, 5, (5, 6))],
    "first offset below the committed one (a re-read)": [(3, 5, None), (4, 5, None)],
    "a jump mid-stream": [(5, 5, None), (6, 5, None), (10, 5, (7, 10)), (11, 5, None)],
    "a jump of one": [(0, None, None), (2, None, (1, 2))],
    "two jumps": [(0, 0, None), (3, 0, (1, 3)), (4, 0, None), (9, 0, (5, 9))],
    "committed is ignored once a position is known": [(5, 5, None), (6, 100, None)],
    "seek back: replay of seen offsets": [
        (10, 10, None), (11, 10, None), (12, 10, None),
        (3, 10, None), (4, 10, None), (5, 10, None),  # replay: no gap
        (13, 10, None),  # back past the high-water: continues from 12, no gap
    ],
    "seek back then a jump inside the seen range": [
        (10, 10, None), (20, 10, (11, 20)), (3, 10, None), (15, 10, None), (21, 10, None),
    ],
    "high-water is not lowered by a seek back": [
        (10, 10, None), (2, 10, None), (3, 10, None), (12, 10, (11, 12)),
    ],
    "the same offset twice": [(4, 4, None), (4, 4, None), (5, 4, None)],
}


@pytest.mark.parametrize("steps", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_observe(steps):
    tracker = GapTracker()
    got = [tracker.observe(TP, offset, committed) for offset, committed, _ in steps]
    assert got == [expected for _, _, expected in steps]


def test_partitions_are_independent():
    tracker = GapTracker()
    a, b = ("t", 0), ("t", 1)
    assert tracker.observe(a, 100, 100) is None
    assert tracker.observe(b, 0, 0) is None
    assert tracker.observe(a, 101, 100) is None
    assert tracker.observe(b, 1, 0) is None
    assert tracker.observe(b, 5, 0) == (2, 5)
    assert tracker.observe(a, 103, 100) == (102, 103)
    assert tracker.observe(("u", 0), 7, 3) == (3, 7)  # another topic, same partition number


def test_reset_starts_again_from_the_committed_offset():
    tracker = GapTracker()
    assert tracker.observe(TP, 10, 10) is None
    assert tracker.observe(TP, 11, 10) is None
    tracker.reset()
    # after a rebalance the position comes from the committed offset again
    assert tracker.observe(TP, 20, 15) == (15, 20)
    assert tracker.observe(TP, 21, 15) is None


def test_reset_forgets_the_high_water():
    tracker = GapTracker()
    assert tracker.observe(TP, 50, 50) is None
    tracker.reset()
    assert tracker.observe(TP, 5, 5) is None  # not a replay below 50 any more
    assert tracker.observe(TP, 7, 5) == (6, 7)


def test_reset_then_nothing_committed():
    tracker = GapTracker()
    assert tracker.observe(TP, 0, None) is None
    assert tracker.observe(TP, 4, None) == (1, 4)
    tracker.reset()
    # no position and no commit: a new group starts at the partition's beginning
    assert tracker.observe(TP, 9, None) == (0, 9)
    assert tracker.observe(TP, 10, None) is None


def test_committed_zero_is_a_position():
    tracker = GapTracker()
    assert tracker.observe(TP, 3, 0) == (0, 3)
