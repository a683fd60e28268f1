"""What the white paper says: the month's figures from ClickHouse, scored and ranked.

`build_paper(execute, db, month, model)` reads the figures of `month` and of the month
before (for the trend) through `sinks.clickhouse.quality`, scores every unit with
`rules.scoring`, ranks them, and returns a `WhitePaper` for `report.render`. `NoData`
carries the message for an empty month or a unit with nothing in it.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache

from report.month import Month
from rules.catalogue import load_catalogue
from rules.problem_types import problem_types
from rules.scoring import Item, Rectification, Score, ScoringModel, rectification_state, score_unit
from schemas.problem import SOURCE_ZH, ProblemSource
from sinks.clickhouse import quality
from sinks.clickhouse.quality import (
    PLATFORM,
    Execute,
    OpenObligation,
    ProblemRow,
    RuleCount,
    UnitFigures,
    VisitFigures,
)

SOURCES = tuple(str(s) for s in ProblemSource)
VISIT_EVENTS = frozenset({"visit_made", "visit_result"})


class NoData(LookupError):
    """Nothing to report; the message says why, in Chinese then English."""


@dataclass(frozen=True)
class ProblemLine:
    row: ProblemRow
    title: str  # the rule's or the problem type's
    rectification: Rectification


@dataclass(frozen=True)
class OpenLine:
    row: OpenObligation
    rule_title: str


@dataclass(frozen=True)
class RuleLine:
    row: RuleCount
    rule_title: str


@dataclass(frozen=True)
class TypeLine:
    code: str
    title: str
    problems: int
    units: int


@dataclass(frozen=True)
class SourceSection:
    """One source's month: how many problems, where, of what type, how many still open."""

    source: str
    label_zh: str
    by_unit: list[tuple[str, int]]  # (unit, problems), most first
    types: list[TypeLine]  # the most frequent
    open_by_unit: dict[str, int]  # still open at month end, whatever month they arose

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_unit)

    @property
    def open_total(self) -> int:
        return sum(self.open_by_unit.values())


@dataclass(frozen=True)
class UnitSection:
    unit_id: str
    rank: int
    figures: UnitFigures
    score: Score
    previous: UnitFigures | None
    previous_score: Score | None
    problems: list[ProblemLine]
    open_at_end: list[OpenLine]
    by_source: dict[str, int] = field(default_factory=dict)
    visits: VisitFigures | None = None

    @property
    def score_change(self) -> float | None:
        return None if self.previous_score is None else self.score.score - self.previous_score.score

    @property
    def on_time_rate_change(self) -> float | None:
        now, before = self.figures.on_time_rate, self.previous and self.previous.on_time_rate
        return None if now is None or before is None else now - before


@dataclass(frozen=True)
class Revision:
    """A figure of a closed month that moved after it was closed."""

    unit_id: str
    figure: str
    frozen: str
    now: str


@dataclass(frozen=True)
class WhitePaper:
    month: Month
    generated_at: datetime
    ranking: list[UnitSection]  # every unit of the month, best first
    sections: list[UnitSection]  # the units this document is for (all, or the one asked for)
    broken_rules: list[RuleLine]
    open_at_end: list[OpenLine]  # every unit's, or the one unit's
    sources: list[SourceSection]
    visits: list[VisitFigures]
    unit: str | None = None
    closed_at: datetime | None = None  # a closed month: the figures frozen then
    revisions: list[Revision] = field(default_factory=list)

    @property
    def previous_month(self) -> Month:
        return self.month.previous()


@cache
def rule_titles() -> dict[str, str]:
    return {rule_id: rule.title_zh for rule_id, rule in load_catalogue().by_id.items()}


@cache
def visit_rules() -> tuple[str, ...]:
    """The rules a visit meets: the visit deadlines."""
    return tuple(sorted(r.id for r in load_catalogue().deadlines
                        if any(m.event in VISIT_EVENTS for m in r.closed_by)))


def title(source: str, code: str) -> str:
    if source == PLATFORM:
        return rule_titles().get(code, code)
    found = problem_types().by_code.get(code)
    return found.title_zh if found else code


def _item(model: ScoringModel, line: ProblemLine) -> Item:
    row = line.row
    if row.kind == "overdue":
        return Item(PLATFORM, "obligation", model.overdue_stake(row.rule_kind),
                    model.overdue_points(row.rule_kind, row.late_hours), line.rectification)
    if row.kind == "violation":
        points = model.violation[row.rule_kind]
        return Item(PLATFORM, "violation", points, points, line.rectification)
    found = problem_types().by_code.get(row.code)  # a type since removed costs nothing
    points = found.points if found else 0.0
    return Item(row.source, "problem", points, points, line.rectification)


@dataclass(frozen=True)
class _Scored:
    figures: dict[str, UnitFigures]
    scores: dict[str, Score]
    problems: dict[str, list[ProblemLine]]


def _score_month(execute: Execute, db: str, month: Month, model: ScoringModel) -> _Scored:
    start, end = month.start_ts, month.end_ts
    figures = {f.unit_id: f for f in quality.unit_figures(execute, db, start, end)}
    lines: dict[str, list[ProblemLine]] = defaultdict(list)
    for row in quality.problems(execute, db, start, end):
        state = rectification_state(model, row.unit_id, row.arose_ts, row.first_rectify_ts, end)
        lines[row.unit_id].append(ProblemLine(row, title(row.source, row.code), state))
    items: dict[str, list[Item]] = defaultdict(list)
    for o in quality.on_time(execute, db, start, end):
        scored = model.rectification_scored(o.unit_id, o.day_ts)
        state = Rectification.not_needed if scored else Rectification.unscored
        items[o.unit_id] += [Item(PLATFORM, "obligation", model.overdue_stake(o.rule_kind), 0.0,
                                  state)] * o.obligations
    for unit, unit_lines in lines.items():
        items[unit] += [_item(model, line) for line in unit_lines]
        figures.setdefault(unit, UnitFigures(unit, 0, 0, 0, 0, 0, None, None))
    scores = {unit: score_unit(model, items[unit]) for unit in figures}
    return _Scored(figures, scores, dict(lines))


def _ranked(scored: _Scored) -> list[tuple[int, str]]:
    """(rank, unit) best first; only equal scores share a rank (1, 1, 3)."""
    order = sorted(scored.scores, key=lambda u: (-scored.scores[u].score, u))
    out, rank = [], 0
    for i, unit in enumerate(order):
        if i == 0 or scored.scores[unit].score != scored.scores[order[i - 1]].score:
            rank = i + 1
        out.append((rank, unit))
    return out


def _sources(execute: Execute, db: str, month: Month,
             figures: dict[str, UnitFigures]) -> list[SourceSection]:
    start, end = month.start_ts, month.end_ts
    by_unit: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for c in quality.source_counts(execute, db, start, end):
        by_unit[c.source].append((c.unit_id, c.problems))
    types: dict[str, list[TypeLine]] = defaultdict(list)
    for t in quality.frequent_types(execute, db, start, end):
        types[t.source].append(TypeLine(t.code, title(t.source, t.code), t.problems, t.units))
    open_by: dict[str, dict[str, int]] = defaultdict(dict)
    for (source, u), n in quality.open_problems(execute, db, end).items():
        open_by[source][u] = n
    open_by[PLATFORM] = {u: f.still_open for u, f in figures.items() if f.still_open}
    return [SourceSection(s, SOURCE_ZH[ProblemSource(s)], by_unit.get(s, []), types.get(s, []),
                          open_by.get(s, {})) for s in SOURCES]


def build_paper(
    execute: Execute,
    db: str,
    month: Month,
    model: ScoringModel,
    *,
    now: datetime,
    unit: str | None = None,
) -> WhitePaper:
    this = _score_month(execute, db, month, model)
    before = _score_month(execute, db, month.previous(), model)
    if unit is not None and unit not in this.figures:
        _check_known(execute, db, unit)
        raise NoData(_nothing_for(unit, month))
    if not this.figures:
        raise NoData(
            f"{month.label_zh}没有应办事项或问题记录 / no obligations or problems in {month}"
        )
    open_lines: dict[str, list[OpenLine]] = defaultdict(list)
    for row in quality.open_at_end(execute, db, month.start_ts, month.end_ts):
        open_lines[row.unit_id].append(OpenLine(row, rule_titles().get(row.rule_id, row.rule_id)))
    visits = {v.unit_id: v for v in quality.visits(execute, db, month.start_ts, month.end_ts,
                                                   visit_rules())}
    sources = _sources(execute, db, month, this.figures)
    ranking = [
        UnitSection(
            unit_id=u,
            rank=rank,
            figures=this.figures[u],
            score=this.scores[u],
            previous=before.figures.get(u),
            previous_score=before.scores.get(u),
            problems=this.problems.get(u, []),
            open_at_end=open_lines.get(u, []),
            by_source={s.source: n for s in sources for unit_id, n in s.by_unit
                       if unit_id == u},
            visits=visits.get(u),
        )
        for rank, u in _ranked(this)
    ]
    rules = [
        RuleLine(r, rule_titles().get(r.rule_id, r.rule_id))
        for r in quality.broken_rules(execute, db, month.start_ts, month.end_ts)
    ]
    paper = WhitePaper(
        month=month,
        generated_at=now,
        ranking=ranking,
        sections=ranking,
        broken_rules=rules,
        open_at_end=sorted(
            (line for s in ranking for line in s.open_at_end),
            key=lambda line: (line.row.due_ts, line.row.unit_id, line.row.item_id),
        ),
        sources=sources,
        visits=[v for _, v in sorted(visits.items())],
    )
    return paper if unit is None else for_unit(execute, db, paper, unit)


def _check_known(execute: Execute, db: str, unit: str) -> None:
    if unit not in quality.known_units(execute, db):
        raise NoData(f"未知单位 {unit} / unknown unit {unit!r}: nothing recorded at all")


def _nothing_for(unit: str, month: Month) -> str:
    return (f"单位 {unit} 在{month.label_zh}没有应办事项或问题记录"
            f" / unit {unit} has no obligations or problems in {month}")


def for_unit(execute: Execute, db: str, paper: WhitePaper, unit: str) -> WhitePaper:
    """The whole paper (a closed month's too) narrowed to one unit's section, its rank among
    all units; NoData for a unit unknown or without anything in the month."""
    sections = [s for s in paper.ranking if s.unit_id == unit]
    if not sections:
        _check_known(execute, db, unit)
        raise NoData(_nothing_for(unit, paper.month))
    return replace(
        paper, sections=sections, unit=unit,
        open_at_end=[o for o in paper.open_at_end if o.row.unit_id == unit],
        sources=[replace(s, by_unit=[(u, n) for u, n in s.by_unit if u == unit], types=[],
                         open_by_unit={u: n for u, n in s.open_by_unit.items() if u == unit})
                 for s in paper.sources],
        visits=[v for v in paper.visits if v.unit_id == unit],
        revisions=[r for r in paper.revisions if r.unit_id == unit])
