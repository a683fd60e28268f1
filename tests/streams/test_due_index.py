"""streams.due_index.DueIndex: a heap per partition with lazy deletion of superseded times."""

import heapq
import random
import types

import pytest

import streams.due_index as due_index_module
from streams.due_index import DueIndex


def build(ops):
    """An index after `ops`: (partition, case_id, at) set calls, in order."""
    idx = DueIndex()
    for partition, case_id, at in ops:
        idx.set(partition, case_id, at)
    return idx


# (ops, now, popped in order, len after, oldest after)
POP_CASES = {
    "empty": ([], 100.0, [], 0, None),
    "nothing due yet": ([(0, "a", 10.0)], 9.999, [], 1, 10.0),
    "due exactly at now": ([(0, "a", 10.0)], 10.0, [(0, "a", 10.0)], 0, None),
    "ordered by time, not by insertion": (
        [(0, "c", 30.0), (0, "a", 10.0), (0, "b", 20.0)],
        25.0,
        [(0, "a", 10.0), (0, "b", 20.0)],
        1,
        30.0,
    ),
    "equal times all pop, ties by case_id": (
        [(0, "z", 5.0), (0, "m", 5.0), (0, "a", 5.0)],
        5.0,
        [(0, "a", 5.0), (0, "m", 5.0), (0, "z", 5.0)],
        0,
        None,
    ),
    "superseded later: old time does not fire": (
        [(0, "a", 10.0), (0, "a", 50.0)], 20.0, [], 1, 50.0,
    ),
    "superseded later: fires once at the new time": (
        [(0, "a", 10.0), (0, "a", 50.0)], 50.0, [(0, "a", 50.0)], 0, None,
    ),
    "superseded earlier: fires at the new time only once": (
        [(0, "a", 50.0), (0, "a", 10.0)], 100.0, [(0, "a", 10.0)], 0, None,
    ),
    "set back to a superseded time: one pop": (
        [(0, "a", 10.0), (0, "a", 20.0), (0, "a", 10.0)], 100.0, [(0, "a", 10.0)], 0, None,
    ),
    "same time set twice: one entry": (
        [(0, "a", 10.0), (0, "a", 10.0)], 100.0, [(0, "a", 10.0)], 0, None,
    ),
    "None clears": ([(0, "a", 10.0), (0, "a", None)], 100.0, [], 0, None),
    "None then set again": (
        [(0, "a", 10.0), (0, "a", None), (0, "a", 30.0)], 100.0, [(0, "a", 30.0)], 0, None,
    ),
    "None then same time again: one pop": (
        [(0, "a", 10.0), (0, "a", None), (0, "a", 10.0)], 100.0, [(0, "a", 10.0)], 0, None,
    ),
    "None for an unknown case is a no-op": ([(0, "x", None), (0, "a", 1.0)], 0.0, [], 1, 1.0),
    "several partitions, each in time order": (
        [(1, "b", 2.0), (0, "a", 3.0), (1, "c", 1.0), (0, "d", 1.5), (2, "e", 99.0)],
        10.0,
        [(0, "d", 1.5), (0, "a", 3.0), (1, "c", 1.0), (1, "b", 2.0)],
        1,
        99.0,
    ),
    "same case id in two partitions is two entries": (
        [(0, "a", 1.0), (1, "a", 2.0)], 5.0, [(0, "a", 1.0), (1, "a", 2.0)], 0, None,
    ),
}


def by_partition(popped):
    """Entries grouped per partition, each group in pop order: the order the index promises."""
    out = {}
    for partition, case_id, at in popped:
        out.setdefault(partition, []).append((case_id, at))
    return out


@pytest.mark.parametrize("ops,now,expected,size,oldest", POP_CASES.values(), ids=POP_CASES.keys())
def test_pop_due(ops, now, expected, size, oldest):
    idx = build(ops)
    popped = idx.pop_due(now)
    assert by_partition(popped) == by_partition(expected)
    assert sorted(popped) == sorted(expected)
    assert len(idx) == size
    assert idx.oldest() == oldest
    assert idx.pop_due(now) == []  # popped entries are gone


@pytest.mark.parametrize(
    "ops,oldest,size",
    [
        ([], None, 0),
        ([(0, "a", 7.0)], 7.0, 1),
        ([(0, "a", 7.0), (1, "b", 3.0), (2, "c", 5.0)], 3.0, 3),
        ([(0, "a", 7.0), (0, "a", 9.0)], 9.0, 1),  # stale head skipped
        ([(0, "a", 7.0), (0, "b", 8.0), (0, "a", None)], 8.0, 1),
        ([(0, "a", 7.0), (0, "a", None)], None, 0),
        ([(0, "a", 7.0), (1, "b", 3.0), (1, "b", None)], 7.0, 1),
    ],
)
def test_oldest_and_len(ops, oldest, size):
    idx = build(ops)
    assert idx.oldest() == oldest
    assert idx.oldest() == oldest  # asking does not consume
    assert len(idx) == size


def test_oldest_does_not_pop_live_entries():
    idx = build([(0, "a", 1.0), (0, "b", 2.0)])
    assert idx.oldest() == 1.0
    assert idx.pop_due(1.5) == [(0, "a", 1.0)]
    assert idx.oldest() == 2.0
    assert idx.pop_due(2.0) == [(0, "b", 2.0)]


def test_pop_in_steps_follows_time():
    idx = build([(0, f"c{i}", float(i)) for i in (5, 3, 9, 1, 7)])
    assert idx.pop_due(2.0) == [(0, "c1", 1.0)]
    assert idx.pop_due(6.0) == [(0, "c3", 3.0), (0, "c5", 5.0)]
    assert idx.pop_due(100.0) == [(0, "c7", 7.0), (0, "c9", 9.0)]
    assert len(idx) == 0


def test_popped_case_can_be_set_again():
    idx = build([(0, "a", 1.0)])
    assert idx.pop_due(1.0) == [(0, "a", 1.0)]
    idx.set(0, "a", 1.0)  # same time as the popped entry: a fresh entry, not a no-op
    assert len(idx) == 1
    assert idx.pop_due(1.0) == [(0, "a", 1.0)]


@pytest.mark.parametrize(
    "keep,remaining,popped",
    [
        ([0, 1, 2], 3, [(0, "a", 1.0), (1, "b", 2.0), (2, "c", 3.0)]),
        ([1], 1, [(1, "b", 2.0)]),
        ([], 0, []),
        ({2, 7}, 1, [(2, "c", 3.0)]),  # any iterable; unknown partitions are fine
        (iter([0, 2]), 2, [(0, "a", 1.0), (2, "c", 3.0)]),
    ],
)
def test_keep_only(keep, remaining, popped):
    idx = build([(0, "a", 1.0), (1, "b", 2.0), (2, "c", 3.0)])
    idx.keep_only(keep)
    assert len(idx) == remaining
    assert sorted(idx.pop_due(10.0)) == popped


def test_keep_only_then_set_on_a_dropped_partition():
    idx = build([(0, "a", 1.0), (1, "b", 2.0)])
    idx.keep_only([0])
    idx.set(1, "b", 5.0)
    assert len(idx) == 2
    assert sorted(idx.pop_due(10.0)) == [(0, "a", 1.0), (1, "b", 5.0)]


@pytest.mark.parametrize(
    "entries,now,popped,size",
    [
        ([], 10.0, [], 0),
        ([("a", 3.0), ("b", 1.0), ("c", 2.0)], 2.5, [(1, "b", 1.0), (1, "c", 2.0)], 1),
        ([("a", 3.0), ("a", 1.0)], 2.0, [(1, "a", 1.0)], 0),  # last entry of a case wins
        ([("a", 1.0), ("b", 1.0)], 1.0, [(1, "a", 1.0), (1, "b", 1.0)], 0),
    ],
)
def test_rebuild(entries, now, popped, size):
    idx = build([(1, "old", 0.5), (1, "a", 9.0), (0, "other", 0.5)])
    idx.rebuild(1, entries)
    result = idx.pop_due(now)
    assert by_partition(result) == by_partition([(0, "other", 0.5), *popped])  # 0 untouched
    assert sorted(result) == sorted([(0, "other", 0.5), *popped])
    assert len(idx) == size


def test_rebuild_then_set_supersedes_rebuilt_entry():
    idx = DueIndex()
    idx.rebuild(3, iter([("a", 10.0), ("b", 20.0)]))  # a generator, as from the table
    idx.set(3, "a", 30.0)
    idx.set(3, "b", None)
    assert len(idx) == 1
    assert idx.oldest() == 30.0
    assert idx.pop_due(25.0) == []
    assert idx.pop_due(30.0) == [(3, "a", 30.0)]


def test_rebuild_same_time_as_existing_is_not_pushed_twice():
    idx = DueIndex()
    idx.rebuild(0, [("a", 10.0)])
    idx.set(0, "a", 10.0)
    assert len(idx) == 1
    assert idx.pop_due(10.0) == [(0, "a", 10.0)]
    assert idx.pop_due(10.0) == []


def counting_heapq(monkeypatch):
    """Replace the heapq the index uses by one that records pushes and pops."""
    calls = {"push": [], "pop": []}

    def heappush(heap, item):
        calls["push"].append(item)
        heapq.heappush(heap, item)

    def heappop(heap):
        item = heapq.heappop(heap)
        calls["pop"].append(item)
        return item

    fake = types.SimpleNamespace(heappush=heappush, heappop=heappop, heapify=heapq.heapify)
    monkeypatch.setattr(due_index_module, "heapq", fake)
    return calls


@pytest.mark.parametrize(
    "ops,pushes",
    [
        ([(0, "a", 10.0)], 1),
        ([(0, "a", 10.0), (0, "a", 10.0), (0, "a", 10.0)], 1),  # unchanged: no new entry
        ([(0, "a", 10.0), (0, "a", 20.0)], 2),  # superseded: a new entry, the old stays
        ([(0, "a", 10.0), (0, "a", None)], 1),  # cleared lazily: nothing pushed
        ([(0, "a", 10.0), (1, "a", 10.0)], 2),
    ],
)
def test_set_pushes_only_changes(monkeypatch, ops, pushes):
    calls = counting_heapq(monkeypatch)
    build(ops)
    assert len(calls["push"]) == pushes


def test_pop_due_touches_only_due_entries(monkeypatch):
    """200k pending cases, 100 of them due: pop_due pops the 100 and leaves the rest alone."""
    n, due = 200_000, 100
    idx = DueIndex()
    idx.rebuild(0, ((f"c{i:06d}", 1000.0 + i) for i in range(n)))
    idx.rebuild(1, ((f"d{i:06d}", 5000.0 + i) for i in range(n // 2)))
    pops = counting_heapq(monkeypatch)["pop"]

    popped = idx.pop_due(1000.0 + due - 0.5)

    assert popped == [(0, f"c{i:06d}", 1000.0 + i) for i in range(due)]
    assert len(pops) == due  # nothing beyond the due heads was popped
    assert len(idx) == n + n // 2 - due
    assert idx.oldest() == 1000.0 + due


def test_superseded_entries_never_outnumber_live_ones():
    """Every time moved leaves a superseded entry behind; they are dropped as soon as they
    outnumber the live ones, so the heaps hold at most twice the cases that are due."""
    rng = random.Random(4)
    idx = DueIndex()
    for _ in range(20_000):
        partition, case_id = rng.randrange(3), f"c{rng.randrange(50)}"
        idx.set(partition, case_id, None if rng.random() < 0.05 else rng.uniform(0, 1e6))
        assert idx.entries() <= 2 * len(idx)
    for _ in range(1_000):
        idx.set(0, "hot", rng.uniform(0, 1e6))  # one case moved again and again
    assert idx.entries() <= 2 * len(idx)


def test_compaction_keeps_what_is_due():
    """Against a plain dict of current times: the same entries pop, in time order."""
    rng = random.Random(9)
    idx, model = DueIndex(), {}
    now = 0.0
    for _ in range(30_000):
        partition, case_id = rng.randrange(2), f"c{rng.randrange(40)}"
        at = None if rng.random() < 0.1 else now + rng.uniform(0, 100)
        idx.set(partition, case_id, at)
        if at is None:
            model.pop((partition, case_id), None)
        else:
            model[(partition, case_id)] = at
        if rng.random() < 0.05:
            now += rng.uniform(0, 20)
            due = sorted((p, c, a) for (p, c), a in model.items() if a <= now)
            assert sorted(idx.pop_due(now)) == due
            for p, c, _ in due:
                del model[(p, c)]
        assert len(idx) == len(model)
    assert idx.oldest() == min(model.values(), default=None)


def test_compaction_is_amortised(monkeypatch):
    """A million moves of 1,000 cases: the entries rebuilt by compactions stay within a
    small multiple of the moves (each compaction follows as many moves as it rebuilds)."""
    rebuilt = []

    def heapify(heap):
        rebuilt.append(len(heap))
        heapq.heapify(heap)

    fake = types.SimpleNamespace(heappush=heapq.heappush, heappop=heapq.heappop, heapify=heapify)
    monkeypatch.setattr(due_index_module, "heapq", fake)
    idx = DueIndex()
    rng = random.Random(1)
    moves = 1_000_000
    for i in range(moves):
        idx.set(0, f"c{i % 1000}", rng.random())
    assert len(idx) == 1000 and idx.entries() <= 2000
    assert sum(rebuilt) <= moves
