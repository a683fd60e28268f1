"""A calendar day in China Standard Time, as `casewatch report --day YYYY-MM-DD` names it."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from schemas.timefmt import CST

_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class DayError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Day:
    date: date

    @classmethod
    def parse(cls, text: str) -> "Day":
        m = _DAY.fullmatch(text.strip())
        try:
            if not m or int(m.group(1)) < 1970:
                raise ValueError
            return cls(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            raise DayError(f"日期应为 YYYY-MM-DD 格式 / day must be YYYY-MM-DD, got {text!r}") \
                from None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date, time(), CST)

    @property
    def end(self) -> datetime:
        """The first instant of the next day (the day is [start, end))."""
        return self.start + timedelta(days=1)

    def at(self, now: datetime) -> datetime:
        """What "now" means for the day: its end, or `now` while it runs."""
        return min(self.end, now.astimezone(CST))

    def __str__(self) -> str:
        return self.date.isoformat()

    @property
    def label_zh(self) -> str:
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"
