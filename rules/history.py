"""A case's history in order of legal effect, with duplicates and retractions resolved."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from schemas.event import Envelope

RETRACTION = "event_retracted"


OrderKey = tuple[datetime, str]


def order_key(event: Envelope) -> OrderKey:
    """Order of legal effect: `occurred_at`, then `event_id` (events.md)."""
    return event.occurred_at, event.event_id


def ordered_unique(events: Iterable[Envelope]) -> list[Envelope]:
    """Events in order of legal effect, each `event_id` once (the first copy seen stays)."""
    seen: dict[str, Envelope] = {}
    for event in events:
        seen.setdefault(event.event_id, event)
    return sorted(seen.values(), key=order_key)


@dataclass(frozen=True, slots=True)
class Retraction:
    event: Envelope  # the event_retracted event
    target_id: str


def effective_retractions(ordered: list[Envelope]) -> tuple[set[str], list[Retraction]]:
    """Ids no longer in force, and the retractions in force, applied in order.

    Retracting a retraction puts its target back in force.
    """
    known = {e.event_id for e in ordered}
    retracted: set[str] = set()
    active: dict[str, Retraction] = {}
    for event in ordered:
        if event.event_type != RETRACTION or event.event_id in retracted:
            continue
        target = event.details.retracts_event_id
        if target not in known or target in retracted or target == event.event_id:
            continue
        retracted.add(target)
        active[event.event_id] = Retraction(event, target)
        undone = active.pop(target, None)
        if undone is not None:
            retracted.discard(undone.target_id)
    return retracted, list(active.values())


def in_force(ordered: list[Envelope], retracted: set[str]) -> list[Envelope]:
    """The events that carry legal effect: neither retracted nor retractions themselves."""
    return [e for e in ordered if e.event_type != RETRACTION and e.event_id not in retracted]
