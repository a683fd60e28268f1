"""An in-memory case for tests and examples: build events on a timeline, evaluate them.

    case = CaseTimeline(start="2026-05-01T15:00:00+08:00")
    case.add("detained")
    case.add("family_notified", hours=22, measure="detention")
    warnings = case.evaluate(hours=48)
"""

import json
from datetime import datetime, timedelta
from itertools import count

from rules.engine import CaseResult, Engine
from schemas.event import EVENT_ADAPTER, Envelope
from schemas.event_types import EVENT_TYPES
from schemas.warning import Warning

_ENGINE: Engine | None = None


def shared_engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


class CaseTimeline:
    def __init__(self, start: str | datetime = "2026-05-01T15:00:00+08:00", case_id="C1",
                 person_id="P1", unit_id="U1", case_kind="criminal", engine: Engine | None = None):
        self.start = datetime.fromisoformat(start) if isinstance(start, str) else start
        self.case_id, self.person_id, self.unit_id, self.case_kind = (
            case_id, person_id, unit_id, case_kind)
        self.engine = engine or shared_engine()
        self.events: list[Envelope] = []
        self._ids = count(1)

    def instant(self, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
        return self.start + timedelta(days=days, hours=hours, minutes=minutes)

    def add(self, event_type: str, days: float = 0, hours: float = 0, minutes: float = 0,
            at: str | None = None, event_id: str | None = None, person_id: str | None = None,
            **details) -> Envelope:
        """Append an event `days/hours/minutes` after the start (or `at` an RFC 3339 instant)."""
        when = datetime.fromisoformat(at) if at else self.instant(days, hours, minutes)
        raw = dict(
            event_id=event_id or f"{self.case_id}-e{next(self._ids)}",
            schema_version=1,
            event_type=event_type,
            occurred_at=when.isoformat(),
            case_id=self.case_id,
            case_kind=self.case_kind,
            unit_id=self.unit_id,
            details=details,
        )
        if not EVENT_TYPES[event_type].case_level or person_id:
            raw["person_id"] = person_id or self.person_id
        event = EVENT_ADAPTER.validate_json(json.dumps(raw))  # as it would arrive
        self.events.append(event)
        return event

    def result(self, days: float = 0, hours: float = 0, minutes: float = 0,
               at: str | None = None) -> CaseResult:
        now = datetime.fromisoformat(at) if at else self.instant(days, hours, minutes)
        return self.engine.evaluate_case(self.events, now)

    def evaluate(self, days: float = 0, hours: float = 0, minutes: float = 0,
                 at: str | None = None) -> list[Warning]:
        return self.result(days, hours, minutes, at).warnings

    def warning(self, rule_id: str, **when) -> Warning | None:
        """The one warning of `rule_id` at that instant, or None; fails if there are several."""
        found = [w for w in self.evaluate(**when) if w.rule_id == rule_id]
        assert len(found) <= 1, f"{len(found)} warnings of {rule_id}"
        return found[0] if found else None
