"""A calendar month in China Standard Time, as `casewatch report --month YYYY-MM` names it."""

import re
from dataclasses import dataclass
from datetime import datetime

from schemas.timefmt import CST

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class MonthError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        m = _MONTH.fullmatch(text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1970:
            raise MonthError(f"月份应为 YYYY-MM 格式 / month must be YYYY-MM, got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=CST)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (the month is [start, end))."""
        return self.next().start

    @property
    def start_ts(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_ts(self) -> int:
        return int(self.end.timestamp())

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def is_over(self, now: datetime) -> bool:
        return now >= self.end

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label_zh(self) -> str:
        return f"{self.year}年{self.month}月"
