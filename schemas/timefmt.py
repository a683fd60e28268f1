"""Timestamps as the contract prints them: RFC 3339 in China Standard Time, whole seconds."""

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Annotated

from pydantic import AwareDatetime, PlainSerializer

CST = timezone(timedelta(hours=8), "CST")


@lru_cache(maxsize=1 << 16)  # the same instants are printed again and again
def format_cst(value: datetime) -> str:
    return value.astimezone(CST).replace(microsecond=0, tzinfo=None).isoformat() + "+08:00"


CstDatetime = Annotated[AwareDatetime, PlainSerializer(format_cst, return_type=str)]
