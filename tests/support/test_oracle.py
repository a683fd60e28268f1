"""The oracle's comparison: counts every way the pipeline's warnings differ."""

from tests.support.oracle import compare


def test_equal_states_match():
    states = {"a": ("overdue", "open"), "b": ("approaching", "resolved")}
    c = compare(states, dict(states), "topic")
    assert c.ok and c.matching == 2


def test_missing_different_and_unknown_warnings_are_failures_withdrawn_extras_are_not():
    expected = {"a": ("overdue", "open"), "b": ("approaching", "resolved"),
                "c": ("violation", "open")}
    actual = {"b": ("overdue", "open"), "c": ("violation", "open"),
              "x": ("overdue", "withdrawn"), "y": ("overdue", "open")}
    c = compare(expected, actual, "ClickHouse", {"y": "C1/P1/det_family_notice"})
    assert not c.ok
    assert (c.matching, c.missing, c.extra_withdrawn) == (1, ["a"], 1)
    assert c.different == [("b", ("approaching", "resolved"), ("overdue", "open"))]
    assert c.extra_not_withdrawn == [("y", ("overdue", "open"))]
    assert "1 of 3 warnings of evaluate match" in str(c)
    assert "y (C1/P1/det_family_notice)" in str(c)
