"""Working days in mainland China: the official schedule, or a flagged fallback.

Official holidays and adjusted working days come from the `chinese_calendar` package. For a
year it does not cover yet, Saturdays and Sundays are holidays plus the dates configured in
`calendar.toml`, and the year is recorded in `fallback_years` so callers can flag results.
"""

import tomllib
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import chinese_calendar

DEFAULT_CONFIG = Path(__file__).with_name("calendar.toml")


class WorkCalendar:
    def __init__(self, extra_holidays=(), extra_workdays=()):
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_workdays = frozenset(extra_workdays)
        self.fallback_years: set[int] = set()
        self.is_workday = lru_cache(maxsize=8192)(self._is_workday)

    @classmethod
    def from_file(cls, path: Path = DEFAULT_CONFIG) -> "WorkCalendar":
        return cls.from_toml(path.read_text(encoding="utf-8"))

    @classmethod
    def from_toml(cls, text: str) -> "WorkCalendar":
        data = tomllib.loads(text)
        return cls(
            [date.fromisoformat(d) for d in data.get("extra_holidays", [])],
            [date.fromisoformat(d) for d in data.get("extra_workdays", [])],
        )

    def settings(self) -> dict:
        """Everything besides a date that decides whether it is a working day."""
        return {"extra_holidays": sorted(map(str, self._extra_holidays)),
                "extra_workdays": sorted(map(str, self._extra_workdays)),
                "chinese_calendar": chinese_calendar.__version__}

    def counts_like(self, other: "WorkCalendar") -> bool:
        """True when both count every day alike: the same dates added to the package's."""
        return (self._extra_holidays, self._extra_workdays) == (
            other._extra_holidays, other._extra_workdays)

    def covers(self, day: date) -> bool:
        """True when the official schedule of `day`'s year is known to the package."""
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True

    def _is_workday(self, day: date) -> bool:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            self.fallback_years.add(day.year)
        if day in self._extra_workdays:
            return True
        return day.weekday() < 5 and day not in self._extra_holidays

    def next_workday_from(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day
