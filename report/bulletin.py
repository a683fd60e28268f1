"""The daily bulletin (日通报): what happened in the units on one day, and what is open.

`build_bulletin(execute, db, day, now)` reads the day's figures through
`sinks.clickhouse.bulletin` (the white paper's tables and definitions) and returns a
`Bulletin` for `report.render`. One or two pages: per unit the new warnings and problems,
overdue now, rectified, verified and returned; the obligations overdue now, most overdue
first; the units with nothing open.
"""

from dataclasses import dataclass
from datetime import datetime

from report.day import Day
from report.paper import NoData, rule_titles
from sinks.clickhouse import bulletin, quality
from sinks.clickhouse.bulletin import Overdue
from sinks.clickhouse.quality import Execute

OVERDUE_LISTED = 25


@dataclass(frozen=True)
class BulletinRow:
    unit_id: str
    new_warnings: tuple[int, int, int]  # approaching, overdue, violation
    new_problems: dict[str, int]  # source -> problems found
    overdue_now: int
    actions: tuple[int, int, int]  # rectified, verified, returned

    @property
    def problems_found(self) -> int:
        return sum(self.new_problems.values())


@dataclass(frozen=True)
class OverdueLine:
    row: Overdue
    rule_title: str


@dataclass(frozen=True)
class Bulletin:
    day: Day
    at: datetime
    generated_at: datetime
    rows: list[BulletinRow]  # units with anything to report, most overdue first
    overdue: list[OverdueLine]  # the most overdue, at most OVERDUE_LISTED
    overdue_total: int
    clear_units: list[str]  # known units with nothing open at `at`
    unit: str | None = None

    @property
    def totals(self) -> BulletinRow:
        def add(values):
            return tuple(sum(v) for v in zip(*values, strict=True)) if values else (0, 0, 0)

        sources: dict[str, int] = {}
        for r in self.rows:
            for s, n in r.new_problems.items():
                sources[s] = sources.get(s, 0) + n
        return BulletinRow("合计", add([r.new_warnings for r in self.rows]), sources,
                           sum(r.overdue_now for r in self.rows),
                           add([r.actions for r in self.rows]))


def build_bulletin(execute: Execute, db: str, day: Day, *, now: datetime,
                   unit: str | None = None) -> Bulletin:
    known = quality.known_units(execute, db)
    if unit is not None and unit not in known:
        raise NoData(f"未知单位 {unit} / unknown unit {unit!r}: nothing recorded at all")
    at = day.at(now)
    figures = bulletin.day_figures(execute, db, int(day.start.timestamp()),
                                   int(day.end.timestamp()), int(at.timestamp()))
    overdue = [o for o in figures.overdue if unit is None or o.unit_id == unit]
    per_unit: dict[str, int] = {}
    for o in overdue:
        per_unit[o.unit_id] = per_unit.get(o.unit_id, 0) + 1
    units = (figures.new_warnings.keys() | figures.new_problems.keys() | per_unit.keys()
             | figures.actions.keys())
    rows = [
        BulletinRow(u, figures.new_warnings.get(u, (0, 0, 0)), figures.new_problems.get(u, {}),
                    per_unit.get(u, 0), figures.actions.get(u, (0, 0, 0)))
        for u in units if unit is None or u == unit
    ]
    rows.sort(key=lambda r: (-r.overdue_now, r.unit_id))
    most_late = sorted(overdue, key=lambda o: (o.due_ts, o.unit_id, o.item_id))
    return Bulletin(
        day=day,
        at=at,
        generated_at=now,
        rows=rows,
        overdue=[OverdueLine(o, rule_titles().get(o.rule_id, o.rule_id))
                 for o in most_late[:OVERDUE_LISTED]],
        overdue_total=len(overdue),
        clear_units=[u for u in known if u not in figures.open_units
                     and (unit is None or u == unit)],
        unit=unit,
    )
