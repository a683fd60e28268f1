"""What the white paper says: the month's figures from ClickHouse, scored and ranked.

`build_paper(execute, db, month, model)` reads the figures of `month` and of the month
before (for the trend) through `sinks.clickhouse.quality`, scores every unit with `rules.scoring`,
ranks them, and returns a `WhitePaper` for `report.render`. `NoData` carries the message
for an empty month or a unit without obligations or violations in it.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from report.month import Month
from rules.catalogue import load_catalogue
from rules.scoring import (
    Rectification,
    Score,
    ScoredProblem,
    ScoringModel,
    rectification_state,
    score_unit,
)
from sinks.clickhouse import quality
from sinks.clickhouse.quality import Execute, OpenObligation, ProblemRow, RuleCount, UnitFigures


class NoData(LookupError):
    """Nothing to report; the message says why, in Chinese then English."""


@dataclass(frozen=True)
class ProblemLine:
    row: ProblemRow
    rule_title: str
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
class UnitSection:
    unit_id: str
    rank: int
    figures: UnitFigures
    score: Score
    previous: UnitFigures | None
    previous_score: Score | None
    problems: list[ProblemLine]
    open_at_end: list[OpenLine]

    @property
    def score_change(self) -> float | None:
        return None if self.previous_score is None else self.score.score - self.previous_score.score

    @property
    def on_time_rate_change(self) -> float | None:
        now, before = self.figures.on_time_rate, self.previous and self.previous.on_time_rate
        return None if now is None or before is None else now - before


@dataclass(frozen=True)
class WhitePaper:
    month: Month
    generated_at: datetime
    ranking: list[UnitSection]  # every unit of the month, best first
    sections: list[UnitSection]  # the units this document is for (all, or the one asked for)
    broken_rules: list[RuleLine]
    open_at_end: list[OpenLine]  # every unit's, or the one unit's
    actions_known: bool  # the actions table exists: rectification is scored
    unit: str | None = None

    @property
    def previous_month(self) -> Month:
        return self.month.previous()


@cache
def rule_titles() -> dict[str, str]:
    return {rule_id: rule.title_zh for rule_id, rule in load_catalogue().by_id.items()}


def _title(rule_id: str) -> str:
    return rule_titles().get(rule_id, rule_id)


@dataclass(frozen=True)
class _Scored:
    figures: dict[str, UnitFigures]
    scores: dict[str, Score]
    problems: dict[str, list[ProblemLine]]


def _score_month(
    execute: Execute, db: str, month: Month, model: ScoringModel, actions: bool
) -> _Scored:
    start, end = month.start_ts, month.end_ts
    figures = {f.unit_id: f for f in quality.unit_figures(execute, db, start, end)}
    lines: dict[str, list[ProblemLine]] = defaultdict(list)
    for row in quality.problems(execute, db, start, end):
        state = Rectification.unscored
        if actions:
            state = rectification_state(model, row.arose_ts, row.first_rectify_ts, end)
        lines[row.unit_id].append(ProblemLine(row, _title(row.rule_id), state))
    scores = {
        unit: score_unit(
            model,
            on_time=f.met_on_time,
            workload=f.due + f.violations,
            problems=[
                ScoredProblem(p.row.rule_kind, p.row.late_hours, p.rectification)
                for p in lines[unit]
            ],
        )
        for unit, f in figures.items()
    }
    return _Scored(figures, scores, dict(lines))


def _ranked(scored: _Scored) -> list[tuple[int, str]]:
    """(rank, unit) best first; equal scores share a rank (1, 1, 3)."""
    order = sorted(scored.scores, key=lambda u: (-scored.scores[u].score, u))
    out, rank = [], 0
    for i, unit in enumerate(order):
        if i == 0 or scored.scores[unit].score != scored.scores[order[i - 1]].score:
            rank = i + 1
        out.append((rank, unit))
    return out


def build_paper(
    execute: Execute,
    db: str,
    month: Month,
    model: ScoringModel,
    *,
    now: datetime,
    unit: str | None = None,
) -> WhitePaper:
    actions = quality.has_actions(execute, db)
    this = _score_month(execute, db, month, model, actions)
    before = _score_month(execute, db, month.previous(), model, actions)
    if unit is not None and unit not in this.figures:
        if unit not in quality.known_units(execute, db):
            raise NoData(f"未知单位 {unit} / unknown unit {unit!r}: no warnings at all")
        raise NoData(
            f"单位 {unit} 在{month.label_zh}没有应办事项或违规记录"
            f" / unit {unit} has no obligations or violations in {month}"
        )
    if not this.figures:
        raise NoData(
            f"{month.label_zh}没有应办事项或违规记录 / no obligations or violations in {month}"
        )
    open_lines: dict[str, list[OpenLine]] = defaultdict(list)
    for row in quality.open_at_end(execute, db, month.start_ts, month.end_ts):
        open_lines[row.unit_id].append(OpenLine(row, _title(row.rule_id)))
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
        )
        for rank, u in _ranked(this)
    ]
    sections = [s for s in ranking if unit is None or s.unit_id == unit]
    rules = [
        RuleLine(r, _title(r.rule_id))
        for r in quality.broken_rules(execute, db, month.start_ts, month.end_ts)
    ]
    return WhitePaper(
        month=month,
        generated_at=now,
        ranking=ranking,
        sections=sections,
        broken_rules=rules,
        open_at_end=sorted(
            (line for s in sections for line in s.open_at_end),
            key=lambda line: (line.row.due_ts, line.row.unit_id, line.row.warning_id),
        ),
        actions_known=actions,
        unit=unit,
    )
