"""Unit quality scoring (`scoring.toml`): pure functions over a unit's monthly items.

The model is data a supervisor edits; this module only reads and checks it and applies it.
No database here: the figures come from `sinks/clickhouse/quality.py`, the report from
`report/`.
"""

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path

from schemas.problem import ProblemSource
from schemas.timefmt import CST

SCORING_FILE = Path(__file__).with_name("scoring.toml")
RULE_KINDS = ("statutory", "policy")
SOURCES = tuple(str(s) for s in ProblemSource)
HOUR = 3600
DEFAULT_UNIT = "default"


class ScoringError(ValueError):
    pass


class Rectification(StrEnum):
    """How a problem was rectified, as of month end."""

    on_time = "on_time"  # rectified within the allowed days
    late = "late"  # rectified after them
    missing = "missing"  # not rectified, and the allowed days have passed
    pending = "pending"  # not rectified, the allowed days have not passed yet
    unscored = "unscored"  # arose before the unit's loop started: never scored
    not_needed = "not_needed"  # an obligation met on time: nothing to rectify


@dataclass(frozen=True, slots=True)
class Band:
    up_to_hours: float | None  # None: no limit (the last band)
    points: float


@dataclass(frozen=True, slots=True)
class ScoringModel:
    base: float
    min_stake: float
    overdue: Mapping[str, tuple[Band, ...]]  # rule kind -> bands, ascending
    violation: Mapping[str, float]  # rule kind -> points
    rectify_days: float
    rectify_late: float
    rectify_missing: float
    loop_started: Mapping[str, date]  # unit (or DEFAULT_UNIT) -> the day its loop started
    weights: Mapping[str, float]  # source -> weight

    def overdue_points(self, rule_kind: str, late_hours: float) -> float:
        for band in self.overdue[rule_kind]:
            if band.up_to_hours is None or late_hours <= band.up_to_hours:
                return band.points
        raise AssertionError("the last band has no limit")  # load_scoring guarantees it

    def overdue_stake(self, rule_kind: str) -> float:
        return self.overdue[rule_kind][-1].points

    def rectification_points(self, state: "Rectification") -> float:
        if state is Rectification.late:
            return self.rectify_late
        return self.rectify_missing if state is Rectification.missing else 0.0

    def loop_start_ts(self, unit: str) -> int | None:
        """When rectification starts to count for `unit` (00:00 China time of its day)."""
        day = self.loop_started.get(unit, self.loop_started.get(DEFAULT_UNIT))
        return None if day is None else int(datetime.combine(day, time(), CST).timestamp())

    def rectification_scored(self, unit: str, arose_ts: int) -> bool:
        start = self.loop_start_ts(unit)
        return start is not None and arose_ts >= start


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a unit's month: an obligation due, a violation or a found problem."""

    source: str
    kind: str  # obligation, violation, problem
    stake_points: float  # the most its kind costs, before the source's weight
    lost_points: float  # what it costs: 0 for an obligation met on time
    rectification: Rectification


@dataclass(frozen=True, slots=True)
class Score:
    workload: int  # items: obligations due, violations raised, problems found
    stake: float
    overdue_points: float
    violation_points: float
    problem_points: float
    rectification_points: float
    score: float  # not rounded: the ranking compares these

    @property
    def lost(self) -> float:
        return (self.overdue_points + self.violation_points + self.problem_points
                + self.rectification_points)


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


def _loop_started(rect: Mapping) -> dict[str, date]:
    raw = rect.get("loop_started", {})
    if not isinstance(raw, dict):
        raise ScoringError("[rectification.loop_started] must be a table")
    out = {}
    for unit, day in raw.items():
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ScoringError(f"rectification.loop_started.{unit} must be a date "
                               f"(YYYY-MM-DD), got {day!r}")
        out[unit] = day
    return out


def _weights(data: Mapping) -> dict[str, float]:
    sources = _table(data, "sources")
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ScoringError(f"sources: unknown source(s) {sorted(unknown)}; known {SOURCES}")
    return {s: _number(sources, s, "sources") for s in SOURCES}


def parse_scoring(text: str) -> ScoringModel:
    """Check and read a scoring file's text; ScoringError names the offending key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScoringError(f"not valid TOML: {exc}") from exc
    score, violation = _table(data, "score"), _table(data, "violation")
    rect = _table(data, "rectification")
    return ScoringModel(
        base=_number(score, "base", "score", 1),
        min_stake=_number(score, "min_stake", "score", 1),
        overdue={kind: _bands(data, kind) for kind in RULE_KINDS},
        violation={kind: _number(violation, kind, "violation") for kind in RULE_KINDS},
        rectify_days=_number(rect, "days", "rectification", 0),
        rectify_late=_number(rect, "late", "rectification"),
        rectify_missing=_number(rect, "missing", "rectification"),
        loop_started=_loop_started(rect),
        weights=_weights(data),
    )


def load_scoring(path: Path = SCORING_FILE) -> ScoringModel:
    try:
        return parse_scoring(path.read_text(encoding="utf-8"))
    except ScoringError as exc:
        raise ScoringError(f"{path.name}: {exc}") from exc


def rectification_state(model: ScoringModel, unit: str, arose_at: int,
                        rectified_at: int | None, month_end: int) -> Rectification:
    """State of a problem of `unit` that arose at `arose_at` (unix seconds) and was first
    rectified at `rectified_at` (None: not by month end), judged at `month_end`."""
    if not model.rectification_scored(unit, arose_at):
        return Rectification.unscored
    deadline = arose_at + model.rectify_days * 24 * HOUR
    if rectified_at is not None:
        return Rectification.on_time if rectified_at <= deadline else Rectification.late
    return Rectification.missing if deadline <= month_end else Rectification.pending


def score_unit(model: ScoringModel, items: Sequence[Item]) -> Score:
    """A unit's score for a month and its parts (see scoring.toml for the formula)."""
    stake = rectification = 0.0
    lost = {"obligation": 0.0, "violation": 0.0, "problem": 0.0}
    for item in items:
        if item.source not in model.weights:
            raise ScoringError(f"unknown source {item.source!r}")
        weight = model.weights[item.source]
        stake += weight * item.stake_points
        lost[item.kind] += weight * item.lost_points
        if item.rectification not in (Rectification.unscored,):
            stake += model.rectify_missing
        rectification += model.rectification_points(item.rectification)
    total = sum(lost.values()) + rectification
    return Score(
        workload=len(items),
        stake=stake,
        overdue_points=lost["obligation"],
        violation_points=lost["violation"],
        problem_points=lost["problem"],
        rectification_points=rectification,
        score=model.base * (1 - total / max(stake, model.min_stake)),
    )
