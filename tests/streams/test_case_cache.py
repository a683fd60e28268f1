"""streams.case_cache: bounded by count; idle cases without a due leave after retention."""

from types import SimpleNamespace

from streams.case_cache import CaseCache


def logic(due=None):
    return SimpleNamespace(next_due=lambda: due)


def test_least_recently_used_leave_over_capacity():
    cache = CaseCache(capacity=2, retention=1e9)
    a, b, c = logic(), logic(), logic()
    cache.put("a", a, 0, 0.0)
    cache.put("b", b, 0, 1.0)
    assert cache.get("a") is a  # a is now the most recent
    cache.put("c", c, 1, 2.0)
    assert cache.evict(3.0) == 1
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (a, None, c)


def test_idle_cases_with_nothing_due_leave_after_retention():
    cache = CaseCache(capacity=100, retention=10.0)
    cache.put("closed", logic(None), 0, 0.0)
    cache.put("open", logic(123.0), 0, 0.0)
    cache.put("recent", logic(None), 0, 8.0)
    assert cache.evict(9.0) == 0
    assert cache.evict(10.5) == 1
    assert cache.get("closed") is None
    assert cache.get("open") is not None and cache.get("recent") is not None
    assert len(cache) == 2


def test_drop_partitions_and_cases():
    cache = CaseCache(capacity=10, retention=10.0)
    for i, p in enumerate([0, 1, 1, 2]):
        cache.put(f"c{i}", logic(), p, 0.0)
    cache.drop_partitions({1})
    cache.drop("c3")
    assert [c for c in ("c0", "c1", "c2", "c3") if cache.get(c)] == ["c0"]
