"""What the worker keeps per case: the events in force, what it already published, and
its next timer. Serialized as JSON into the Faust table; no Faust here."""

import json
from dataclasses import dataclass, field
from functools import lru_cache

from schemas.event import EVENT_ADAPTER, Envelope


@dataclass
class CaseState:
    events: dict[str, str] = field(default_factory=dict)  # event_id -> canonical JSON
    published: dict[str, str] = field(default_factory=dict)  # record key -> its signature
    warnings: dict[str, str] = field(default_factory=dict)  # warning key -> last JSON sent
    measures: dict[str, str] = field(default_factory=dict)  # measure key -> last JSON sent
    next_at: float | None = None  # epoch seconds of the next clock-driven change
    offsets: dict[str, int] = field(default_factory=dict)  # source topic -> last offset seen
    version: int = 0  # grows with every publication of measure states

    def to_json(self) -> bytes:
        return json.dumps(
            {"events": self.events, "published": self.published, "warnings": self.warnings,
             "measures": self.measures,
             "next_at": self.next_at,
             "offsets": self.offsets, "version": self.version},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes | None) -> "CaseState":
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(data["events"], data["published"], data["warnings"], data["measures"],
                   data["next_at"], data["offsets"], data["version"])

    def event(self, event_id: str) -> Envelope | None:
        raw = self.events.get(event_id)
        return None if raw is None else _parse(raw)

    def parsed_events(self) -> list[Envelope]:
        return [_parse(raw) for raw in self.events.values()]

    def seen_before(self, topic: str, offset: int) -> bool:
        """True when this source message was processed already (a replay after a crash)."""
        last = self.offsets.get(topic)
        self.offsets[topic] = max(offset, last if last is not None else -1)
        return last is not None and offset <= last


@lru_cache(maxsize=200_000)
def _parse(canonical: str) -> Envelope:
    """Parsed events by their canonical JSON: a case's history is re-read on every message."""
    return EVENT_ADAPTER.validate_json(canonical)
