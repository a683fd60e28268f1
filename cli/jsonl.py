"""Reading event files: one JSON event per line, each validated and numbered."""

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from schemas.event import Envelope, InvalidEvent, parse_event
from schemas.time_window import check_not_ahead


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def open_lines(path: str):
    """`-` is standard input. Raises OSError when the file cannot be read."""
    if path == "-":
        return sys.stdin.buffer
    return Path(path).open("rb")


def read_events(stream, received_at: datetime) -> Iterator[tuple[int, Envelope | Problem]]:
    """Each non-blank line as an event, or as the problem that made it invalid.

    `received_at` stands for the broker's clock: an event dated more than a day after it
    is invalid, as the worker finds it (schemas/time_window.py). A line repeating an
    earlier `event_id` with the same content is the same event and is passed on again
    (consumers deduplicate); with other content it is a conflict.
    """
    first: dict[str, tuple[int, Envelope]] = {}
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            event = parse_event(raw.rstrip(b"\r\n"))
        except InvalidEvent as exc:
            yield number, Problem(number, "; ".join(exc.reasons))
            continue
        ahead = check_not_ahead(event, received_at)
        if ahead:
            yield number, Problem(number, "; ".join(ahead))
            continue
        seen = first.setdefault(event.event_id, (number, event))
        if seen[1] is not event and seen[1] != event:
            yield number, Problem(number, conflict_reason(event.event_id, seen[0]))
            continue
        yield number, event


def conflict_reason(event_id: str, first_line: int) -> str:
    return f"event_id {event_id!r} conflicts with line {first_line}; the first stays"
