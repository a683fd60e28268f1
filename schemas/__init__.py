"""The event contract (events.md) and the warning record, as pydantic v2 models."""

from schemas.event import EVENT_ADAPTER, Event, parse_event
from schemas.warning import Warning

__all__ = ["EVENT_ADAPTER", "Event", "Warning", "parse_event"]
