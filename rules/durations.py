"""Legal periods as written in the catalogue: "24h", "3d", "2mo"."""

import re
from dataclasses import dataclass
from typing import Literal

Unit = Literal["hours", "days", "months"]
_UNITS: dict[str, Unit] = {"h": "hours", "d": "days", "mo": "months"}
_PATTERN = re.compile(r"^(\d+)(h|d|mo)$")


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: Unit

    def __str__(self) -> str:
        suffix = {v: k for k, v in _UNITS.items()}[self.unit]
        return f"{self.amount}{suffix}"


def parse_duration(text: str) -> Duration:
    match = _PATTERN.match(text.strip())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"bad period {text!r}: expected a positive number with h, d or mo")
    return Duration(int(match.group(1)), _UNITS[match.group(2)])
