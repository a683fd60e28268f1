"""The window of plausible event times (events.md, "Envelope").

An event's `occurred_at` (and `recorded_at`, when given) must lie between EARLIEST and
MAX_AHEAD past the broker's clock. Outside it a timestamp is a typo or a placeholder
(`1900-01-01`, `9999-12-31`), not an act: it would start periods that ended or begin
decades away, and ClickHouse's DateTime (1970–2106) cannot even store it.

The lower bound is part of validation (`Envelope`, so every reader of the contract applies
it); the upper bound depends on a clock, so it is a separate check: the worker applies it
against each record's broker timestamp, `casewatch evaluate` against `--at`.
"""

from datetime import datetime, timedelta
from typing import Protocol

from pydantic_core import PydanticCustomError

from schemas.timefmt import CST, format_cst

EARLIEST = datetime(1990, 1, 1, tzinfo=CST)
MAX_AHEAD = timedelta(hours=24)
FIELDS = ("occurred_at", "recorded_at")


class Timed(Protocol):
    occurred_at: datetime
    recorded_at: datetime | None


def not_too_early(value: datetime) -> datetime:
    """Pydantic after-validator of the envelope's timestamps: refuse one before EARLIEST."""
    if value < EARLIEST:
        raise PydanticCustomError(
            "too_early", "{value} is before {earliest}, the earliest time an event may carry",
            {"value": value.isoformat(), "earliest": format_cst(EARLIEST)})
    return value


def check_not_ahead(event: Timed, broker_time: datetime) -> list[str]:
    """Reasons the event is dated more than MAX_AHEAD after `broker_time` (the broker's
    timestamp of its record, or evaluate's `--at`); empty when it is not."""
    limit = broker_time + MAX_AHEAD
    reasons = []
    for name in FIELDS:
        value = getattr(event, name)
        if value is not None and value > limit:
            reasons.append(
                f"{name}: {value.isoformat()} is more than 24 hours after "
                f"{format_cst(broker_time)}, the time it was received")
    return reasons
