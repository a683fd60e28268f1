"""Views of the work queue (the open set: warnings and problems): the queues, filters and
sort orders of the list page, as URL parameters. The page applies them in the browser
(web/static/list.js) and the server applies the same ones to what it exports, so an
export is the view on screen.

Parameters (all optional): `view` all | confirm (待确认) | rectify (待整改) | verify
(待核查); `kind` (warning | problem), `source` (platform for the rules' warnings, or an
inspection's: schemas/problem.py), `unit` (covers its subtree), `level`, `rule` (a rule or
a problem type), `measure`, `stage`, `left` (overdue | 24h | 72h | later: time left before
the due time; a problem's due is the day it should be rectified by), `q` (case or person
id prefix), `sort` (a column of SORTS, default urgency) and `dir` (asc | desc).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from schemas.problem import ProblemSource
from web.open_set import PROBLEM, WARNING, Item, Key

VIEWS = {
    "all": None,
    "confirm": frozenset({"new"}),
    "rectify": frozenset({"acknowledged", "returned"}),
    "verify": frozenset({"rectified"}),
}
KINDS = (WARNING, PROBLEM)
SOURCES = tuple(str(s) for s in ProblemSource)
#: urgency: system first, violations, overdue and approaching warnings, then problems
LEVEL_RANK = {"system": 0, "violation": 1, "overdue": 2, "approaching": 3, PROBLEM: 4}
LEFT = {"overdue": (None, 0.0), "24h": (0.0, 86400.0), "72h": (0.0, 3 * 86400.0),
        "later": (3 * 86400.0, None)}
SORTS = ("urgency", "level", "rule", "case", "person", "unit", "due", "stage", "changed")
FIELDS = ("view", "kind", "source", "unit", "level", "rule", "measure", "stage", "left", "q",
          "sort", "dir")


class BadView(ValueError):
    pass


@dataclass(frozen=True)
class View:
    view: str = "all"
    kind: str = ""
    source: str = ""
    unit: str = ""
    level: str = ""
    rule: str = ""
    measure: str = ""
    stage: str = ""
    left: str = ""
    q: str = ""
    sort: str = "urgency"
    dir: str = "asc"

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> "View":
        values = {k: str(query[k])[:64] for k in FIELDS if query.get(k)}
        view = cls(**values)
        if view.view not in VIEWS or view.sort not in SORTS or view.dir not in ("asc", "desc"):
            raise BadView("view, sort or dir")
        if view.left and view.left not in LEFT:
            raise BadView("left")
        if view.level and view.level not in LEVEL_RANK:
            raise BadView("level")
        if (view.kind and view.kind not in KINDS) or (view.source and view.source not in SOURCES):
            raise BadView("kind or source")
        return view

    def query(self) -> str:
        return "&".join(f"{k}={getattr(self, k)}" for k in FIELDS
                        if getattr(self, k) != getattr(View, k))


def _epoch(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


def urgency_key(item: Item, now: float) -> tuple:
    """System first, then violations (newest first), overdue and approaching warnings by
    due time, then problems by the day they should be rectified by."""
    due = _epoch(item.due_at) or _epoch(item.changed_at) or now
    if item.level == "violation":
        return (LEVEL_RANK[item.level], -due, item.key)
    return (LEVEL_RANK.get(item.level, 9), due, item.key)


def select(items: list[Item], view: View, stage_of: Callable[[Key], str],
           measure_of: Callable[[str], str | None], covers_unit: Callable[[str, str], bool],
           now: float) -> list[Item]:
    """The items of `view`, in its order."""
    stages = VIEWS[view.view]
    out = []
    for i in items:
        stage = stage_of(i.key)
        if stages is not None and stage not in stages:
            continue
        if (view.kind and i.kind != view.kind) or (view.source and i.source != view.source):
            continue
        if view.unit and not covers_unit(view.unit, i.unit_id):
            continue
        if (view.level and i.level != view.level) or (view.rule and i.rule_id != view.rule):
            continue
        if view.measure and (i.kind != WARNING or measure_of(i.rule_id) != view.measure):
            continue
        if view.stage and stage != view.stage:
            continue
        if view.q and not (i.case_id.startswith(view.q) or (i.person_id or "").startswith(view.q)):
            continue
        if view.left:
            low, high = LEFT[view.left]
            due = _epoch(i.due_at)
            if due is None:
                continue
            left = due - now
            if (low is not None and left < low) or (high is not None and left >= high):
                continue
        out.append(i)
    if view.sort == "urgency":
        out.sort(key=lambda i: urgency_key(i, now), reverse=view.dir == "desc")
        return out
    column: Callable[[Item], object] = {
        "level": lambda i: LEVEL_RANK.get(i.level, 9), "rule": lambda i: i.rule_id,
        "case": lambda i: i.case_id, "person": lambda i: i.person_id or "",
        "unit": lambda i: i.unit_id, "due": lambda i: _epoch(i.due_at) or float("inf"),
        "stage": lambda i: stage_of(i.key), "changed": lambda i: i.changed_at,
    }[view.sort]
    out.sort(key=lambda i: (column(i), i.key), reverse=view.dir == "desc")
    return out
