"""web.views: the list page's queues, filters and orders, as the export applies them."""

import pytest

from tests.support.web_app import item
from web.views import BadView, View, select

NOW = 1_777_600_000.0  # 2026-05-01 09:46:40 China time
STAGES = {("warning", "A"): "new", ("warning", "B"): "rectified",
          ("warning", "C"): "acknowledged", ("warning", "D"): "returned",
          ("warning", "S"): "new"}


def pick(items, **query):
    view = View.parse(query)
    return [i.id for i in select(items, view, STAGES.get, lambda r: "detention",
                                 lambda parent, unit: unit.startswith(parent), NOW)]


ITEMS = [item("A", unit="U3301", level="approaching", due="2026-05-01T12:00:00+08:00"),
         item("B", unit="U3302", level="overdue", due="2026-05-01T08:00:00+08:00"),
         item("C", unit="U3401", level="violation", due=None, case="C9"),
         item("D", unit="U3301", level="overdue", due="2026-04-30T08:00:00+08:00",
              person="P-X"),
         item("S", unit="U3301", level="system", due=None)]


def test_urgency_first_and_queues():
    assert pick(ITEMS) == ["S", "C", "D", "B", "A"]
    assert pick(ITEMS, view="verify") == ["B"]
    assert pick(ITEMS, view="rectify") == ["C", "D"]
    assert pick(ITEMS, view="confirm") == ["S", "A"]


def test_filters_and_sorts():
    assert pick(ITEMS, unit="U33") == ["S", "D", "B", "A"]
    assert pick(ITEMS, left="overdue") == ["D", "B"]
    assert pick(ITEMS, left="24h") == ["A"]
    assert pick(ITEMS, q="P-X") == ["D"] and pick(ITEMS, q="C9") == ["C"]
    assert pick(ITEMS, sort="case", dir="desc")[0] == "C"
    assert pick(ITEMS, level="overdue", sort="due") == ["D", "B"]


@pytest.mark.parametrize("query", [{"view": "mine"}, {"sort": "password"}, {"dir": "up"},
                                   {"left": "1y"}, {"level": "critical"}])
def test_malformed_views_are_refused(query):
    with pytest.raises(BadView):
        View.parse(query)


def test_problems_join_the_queue_after_warnings_and_filter_by_kind_and_source():
    from tests.support.web_app import problem
    from web.problem_set import ProblemSet

    problems = ProblemSet()
    for pid, source in (("A", "patrol"), ("P2", "case_review")):
        problems.apply_problem(problem(pid, source=source))
    items = ITEMS + [problems.item_of(p) for p in problems.problems.values()]
    stages = {**STAGES, ("problem", "A"): "new", ("problem", "P2"): "rectified"}

    def keys(**query):
        return [i.key for i in select(items, View.parse(query), stages.get,
                                      lambda r: "detention", lambda p, u: True, NOW)]

    assert keys()[-2:] == [("problem", "A"), ("problem", "P2")]
    assert keys(kind="problem", view="verify") == [("problem", "P2")]
    assert keys(source="patrol") == [("problem", "A")]
    assert keys(kind="warning") == [("warning", i) for i in "SCDBA"]
    assert ("problem", "A") not in keys(measure="detention")  # measures are the warnings'
    with pytest.raises(BadView):
        View.parse({"source": "rumour"})
