"""What "now" is: wall time live, a fixed instant offline (`evaluate --at`)."""

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("the clock needs an offset-aware instant")
        self._at = at

    def now(self) -> datetime:
        return self._at
