"""Unit quality scoring (`scoring.toml`): pure functions over a unit's monthly problems.

The model is data a supervisor edits; this module only reads and checks it and applies it.
No database here: the figures come from `sinks/quality.py`, the report from `report/`.
"""

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

SCORING_FILE = Path(__file__).with_name("scoring.toml")
RULE_KINDS = ("statutory", "policy")
HOUR = 3600


class ScoringError(ValueError):
    pass


class Rectification(StrEnum):
    """How a problem was rectified, as of month end."""

    on_time = "on_time"  # rectified within the allowed days
    late = "late"  # rectified after them
    missing = "missing"  # not rectified, and the allowed days have passed
    pending = "pending"  # not rectified, the allowed days have not passed yet
    unscored = "unscored"  # no actions table: rectification is not known


@dataclass(frozen=True, slots=True)
class Band:
    up_to_hours: float | None  # None: no limit (the last band)
    points: float


@dataclass(frozen=True, slots=True)
class ScoringModel:
    base: float
    per: float
    min_workload: int
    overdue: Mapping[str, tuple[Band, ...]]  # rule kind -> bands, ascending
    violation: Mapping[str, float]  # rule kind -> points
    rectify_days: float
    rectify_late: float
    rectify_missing: float
    on_time_credit: float

    def overdue_points(self, rule_kind: str, late_hours: float) -> float:
        for band in self.overdue[rule_kind]:
            if band.up_to_hours is None or late_hours <= band.up_to_hours:
                return band.points
        raise AssertionError("the last band has no limit")  # load_scoring guarantees it

    def rectification_points(self, state: Rectification) -> float:
        if state is Rectification.late:
            return self.rectify_late
        return self.rectify_missing if state is Rectification.missing else 0.0


@dataclass(frozen=True, slots=True)
class ScoredProblem:
    """One problem of a unit in the month: a missed obligation or a violation."""

    rule_kind: str
    late_hours: float | None  # None for a violation
    rectification: Rectification


@dataclass(frozen=True, slots=True)
class Score:
    workload: int
    overdue_points: float
    violation_points: float
    rectification_points: float
    credit: float
    score: float

    @property
    def deductions(self) -> float:
        return self.overdue_points + self.violation_points + self.rectification_points


def _number(table: Mapping, key: str, where: str, minimum: float = 0.0) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScoringError(f"{where}.{key} must be a number, got {value!r}")
    if value < minimum:
        raise ScoringError(f"{where}.{key} must be at least {minimum:g}, got {value!r}")
    return float(value)


def _table(data: Mapping, key: str, where: str = "") -> Mapping:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ScoringError(f"[{where}{key}] is missing or not a table")
    return value


def _bands(data: Mapping, kind: str) -> tuple[Band, ...]:
    raw = _table(data, "overdue").get(kind)
    if not isinstance(raw, list) or not raw:
        raise ScoringError(f"[[overdue.{kind}]] bands are missing")
    bands, previous = [], -math.inf
    for i, item in enumerate(raw):
        where = f"overdue.{kind}[{i}]"
        last = i == len(raw) - 1
        if not isinstance(item, dict):
            raise ScoringError(f"{where} must be a table")
        if last != ("up_to_hours" not in item):
            raise ScoringError(f"{where}: only the last band has no up_to_hours")
        limit = None if last else _number(item, "up_to_hours", where)
        if limit is not None and limit <= previous:
            raise ScoringError(f"{where}.up_to_hours must grow from band to band")
        previous = limit if limit is not None else previous
        bands.append(Band(limit, _number(item, "points", where)))
    return tuple(bands)


def parse_scoring(text: str) -> ScoringModel:
    """Check and read a scoring file's text; ScoringError names the offending key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScoringError(f"not valid TOML: {exc}") from exc
    score, violation = _table(data, "score"), _table(data, "violation")
    rect, credit = _table(data, "rectification"), _table(data, "credit")
    base = _number(score, "base", "score", 1)
    per = _number(score, "per", "score", 1)
    min_workload = _number(score, "min_workload", "score", 1)
    if min_workload != int(min_workload):
        raise ScoringError("score.min_workload must be a whole number")
    return ScoringModel(
        base=base,
        per=per,
        min_workload=int(min_workload),
        overdue={kind: _bands(data, kind) for kind in RULE_KINDS},
        violation={kind: _number(violation, kind, "violation") for kind in RULE_KINDS},
        rectify_days=_number(rect, "days", "rectification", 0),
        rectify_late=_number(rect, "late", "rectification"),
        rectify_missing=_number(rect, "missing", "rectification"),
        on_time_credit=_number(credit, "on_time", "credit"),
    )


def load_scoring(path: Path = SCORING_FILE) -> ScoringModel:
    try:
        return parse_scoring(path.read_text(encoding="utf-8"))
    except ScoringError as exc:
        raise ScoringError(f"{path.name}: {exc}") from exc


def rectification_state(
    model: ScoringModel, arose_at: int, rectified_at: int | None, month_end: int
) -> Rectification:
    """State of a problem that arose at `arose_at` (unix seconds) and was first rectified
    at `rectified_at` (None: not by month end), judged at `month_end`."""
    deadline = arose_at + model.rectify_days * 24 * HOUR
    if rectified_at is not None:
        return Rectification.on_time if rectified_at <= deadline else Rectification.late
    return Rectification.missing if deadline <= month_end else Rectification.pending


def score_unit(
    model: ScoringModel, *, on_time: int, workload: int, problems: Sequence[ScoredProblem]
) -> Score:
    """A unit's score for a month and its parts (see scoring.toml for the formula)."""
    overdue = violation = rectification = 0.0
    for p in problems:
        if p.rule_kind not in RULE_KINDS:
            raise ScoringError(f"unknown rule kind {p.rule_kind!r}")
        if p.late_hours is None:
            violation += model.violation[p.rule_kind]
        else:
            overdue += model.overdue_points(p.rule_kind, p.late_hours)
        rectification += model.rectification_points(p.rectification)
    credit = model.on_time_credit * on_time
    net = overdue + violation + rectification - credit
    raw = model.base - net * model.per / max(workload, model.min_workload)
    return Score(
        workload=workload,
        overdue_points=overdue,
        violation_points=violation,
        rectification_points=rectification,
        credit=credit,
        score=round(min(model.base, max(0.0, raw)), 1),
    )
