"""One subject of a case as the worker keeps it between messages: its walk
(`rules.subject.SubjectFold`) over the events in force by the instant it was last read at,
the events dated after that instant, and when each open obligation changes next by the
clock. Persisted as the item `s:<subject>` (streams/case_items.py), so a case loaded from
its store continues where it stopped without reading its history.
"""

from collections.abc import Callable
from datetime import datetime

import orjson

from rules.engine import Engine
from rules.history import OrderKey
from rules.subject import RunKey, SubjectFold
from schemas.event import Envelope

FORMAT = 1  # of the persisted value


class SubjectState:
    __slots__ = ("subject", "fold", "now", "last", "pending", "next", "latest", "keys",
                 "recent", "chunks")

    def __init__(self, subject: str | None, fold: SubjectFold, now: datetime | None,
                 last: OrderKey | None, pending: list[Envelope],
                 next_at: dict[RunKey, datetime | None], latest: datetime | None,
                 keys: set[str] | None):
        self.subject = subject
        self.fold = fold
        self.now = now  # the instant it was last read at
        # the order key of the last event that took effect for it: a later one continues
        # the walk, an earlier one re-walks it (a retraction of another subject's event
        # takes no effect here)
        self.last = last
        self.pending = pending  # events dated after `now`, in order of legal effect
        self.next = next_at  # per open obligation: its next change by the clock
        self.latest = latest  # the latest `occurred_at` of any of its events
        # every record key the subject raises now; None when unknown (loaded from a store)
        self.keys = keys
        self.recent: list[str] = []  # ids of its latest events, not yet in an index item
        self.chunks = 0  # index items written

    def next_due(self) -> datetime | None:
        """When the subject next changes without a new event."""
        times = [t for t in self.next.values() if t is not None]
        if self.pending:
            times.append(self.pending[0].occurred_at)
        return min(times, default=None)

    def dump(self) -> bytes:
        runs = self.fold.runs
        return orjson.dumps({
            "format": FORMAT,
            "fold": self.fold.dump(),
            "now": self.now,  # orjson writes times as RFC 3339
            "last": self.last,
            "pending": [e.event_id for e in self.pending],
            "next": [self.next.get(key) for key in runs],
            "latest": self.latest,
            "recent": self.recent,
            "chunks": self.chunks,
        })

    @classmethod
    def load(cls, engine: Engine, subject: str | None, case_id: str, value: bytes,
             event: Callable[[str], Envelope]) -> "SubjectState":
        """The inverse of `dump`; `event(event_id)` gives a stored event."""
        data = orjson.loads(value)
        if data["format"] != FORMAT:
            raise ValueError(f"subject state format {data['format']} is not {FORMAT}")
        fold = SubjectFold.load(engine, subject, case_id, data["fold"], event)
        next_at = {key: _time(t) for key, t in zip(fold.runs, data["next"], strict=True)}
        last = data["last"]
        state = cls(subject, fold, _time(data["now"]),
                    None if last is None else (_time(last[0]), last[1]),
                    [event(i) for i in data["pending"]], next_at, _time(data["latest"]), None)
        state.recent, state.chunks = data["recent"], data["chunks"]
        return state


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
