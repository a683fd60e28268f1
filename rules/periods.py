"""When a period runs out: CPL 105, SPC interpretation 2021 art. 202, APR 35.

All calendar arithmetic is in China Standard Time whatever offset the event carried.
"""

import calendar as _months
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from rules.calendar import WorkCalendar
from rules.durations import Duration
from schemas.timefmt import CST


@dataclass(frozen=True, slots=True)
class Due:
    at: datetime
    provisional: bool  # a fallback calendar year decided a holiday extension


def add_months(day: date, months: int) -> date:
    """Same day `months` later; a month-end start, or a day missing there, ends on the last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _months.monthrange(year, month)[1]
    month_end_start = day.day == _months.monthrange(day.year, day.month)[1]
    return date(year, month, last if month_end_start else min(day.day, last))


class PeriodCounter:
    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar
        self._last_day = lru_cache(maxsize=65536)(self._last_day_uncached)

    def due(self, start: datetime, period: Duration, holiday_extends: bool) -> Due:
        if period.unit == "hours":
            return Due(start + timedelta(hours=period.amount), False)
        last, provisional = self._last_day(start.astimezone(CST).date(), period, holiday_extends)
        return Due(datetime.combine(last + timedelta(days=1), time(), CST), provisional)

    def _last_day_uncached(self, start: date, period: Duration, holiday_extends: bool):
        if period.unit == "days":
            last = start + timedelta(days=period.amount)
        else:
            last = add_months(start, period.amount)
        if not holiday_extends:
            return last, False
        shifted = self.calendar.next_workday_from(last)
        provisional = not all(
            self.calendar.covers(last + timedelta(days=i)) for i in range((shifted - last).days + 1)
        )
        return shifted, provisional
