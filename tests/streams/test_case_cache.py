"""streams.case_cache: bounded by count after each job; idle cases without a due leave
after retention, a bounded number at a time; cases are kept per partition."""

from types import SimpleNamespace

from streams.case_cache import CaseCache


def logic(due=None):
    return SimpleNamespace(next_due=lambda: due)


def test_least_recently_used_leave_over_capacity():
    cache = CaseCache(capacity=2, retention=1e9)
    a, b, c = logic(), logic(), logic()
    cache.put(0, "a", a, 0.0)
    cache.put(0, "b", b, 1.0)
    assert cache.get(0, "a") is a  # a is now the most recent
    cache.put(1, "c", c, 2.0)
    assert len(cache) == 3  # a job's cases stay until it ends
    assert cache.trim() == 1
    assert (cache.get(0, "a"), cache.get(0, "b"), cache.get(1, "c")) == (a, None, c)
    assert cache.trim() == 0


def test_idle_cases_with_nothing_due_leave_after_retention():
    cache = CaseCache(capacity=100, retention=10.0)
    cache.put(0, "closed", logic(None), 0.0)
    cache.put(0, "open", logic(123.0), 0.0)
    cache.put(0, "recent", logic(None), 8.0)
    assert cache.evict(9.0, limit=10) == 0
    assert cache.evict(10.5, limit=10) == 1
    assert cache.get(0, "closed") is None
    assert cache.get(0, "open") is not None and cache.get(0, "recent") is not None
    assert len(cache) == 2


def test_drop_partitions_and_cases():
    cache = CaseCache(capacity=10, retention=10.0)
    for i, p in enumerate([0, 1, 1, 2]):
        cache.put(p, f"c{i}", logic(), 0.0)
    cache.drop_partitions({1})
    cache.drop(2, "c3")
    assert [c for p, c in ((0, "c0"), (1, "c1"), (1, "c2"), (2, "c3")) if cache.get(p, c)] \
        == ["c0"]


def test_the_same_case_id_on_two_partitions_is_two_cases():
    cache = CaseCache(capacity=10, retention=10.0)
    a, b = logic(), logic()
    cache.put(0, "C1", a, 0.0)
    cache.put(1, "C1", b, 0.0)
    assert (cache.get(0, "C1"), cache.get(1, "C1")) == (a, b)


def test_idle_cases_leave_a_bounded_number_at_a_time():
    cache = CaseCache(capacity=100, retention=10.0)
    for i in range(5):
        cache.put(0, f"idle{i}", logic(None), 0.0)
    cache.put(0, "open", logic(123.0), 0.0)
    assert [cache.evict(20.0, limit=2) for _ in range(4)] == [2, 2, 1, 0]
    assert len(cache) == 1 and cache.get(0, "open") is not None
