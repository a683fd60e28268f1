"""Silences applied: a silenced item is held back, not dropped; if it is still news when
the silence ends, it is sent then. The record is `schemas/silence.py`."""

from collections.abc import Iterable
from datetime import datetime

from schemas.silence import Silence


def silenced(silences: Iterable[Silence], labels: dict[str, str],
             now: datetime) -> Silence | None:
    return next((s for s in silences if s.active(now) and s.covers(labels)), None)
