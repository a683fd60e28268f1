"""Which measure each person is under, from the events in force (`measures.toml`)."""

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rules.obligations import Obligation
from schemas.enums import Status
from schemas.event import Envelope
from schemas.measure_state import MeasureState

MEASURES_FILE = Path(__file__).with_name("measures.toml")
CASE_CLOSED = "case_closed"


@dataclass(frozen=True, slots=True)
class MeasureDef:
    name: str
    label_zh: str
    starts: frozenset[str]
    ends: frozenset[str]
    due_rule: str | None


def load_measures(path: Path = MEASURES_FILE) -> tuple[MeasureDef, ...]:
    return parse_measures(path.read_text(encoding="utf-8"))


def parse_measures(text: str) -> tuple[MeasureDef, ...]:
    data = tomllib.loads(text)
    return tuple(
        MeasureDef(
            name,
            d["label_zh"],
            frozenset(d["starts"]),
            frozenset(d["ends"]) | {CASE_CLOSED},
            d.get("due_rule"),
        )
        for name, d in data.items()
    )


def measure_states(
    defs: tuple[MeasureDef, ...],
    person_id: str,
    events: list[Envelope],
    obligations: dict[tuple[str, str], Obligation],
) -> list[MeasureState]:
    """One state per measure the person was ever under: the latest spell of it."""
    out = []
    for m in defs:
        start: Envelope | None = None
        end: Envelope | None = None
        for event in events:
            if event.event_type in m.starts:
                start, end = event, None
            elif start is not None and end is None and event.event_type in m.ends:
                end = event
        if start is None:
            continue
        out.append(
            MeasureState(
                case_id=start.case_id,
                person_id=person_id,
                unit_id=start.unit_id,
                measure=m.name,
                active=end is None,
                since=start.occurred_at,
                until=end.occurred_at if end else None,
                due_at=_due(obligations.get((m.due_rule, start.event_id))) if end is None else None,
                evidence=[e.event_id for e in (start, end) if e is not None],
            )
        )
    return out


def _due(ob: Obligation | None) -> datetime | None:
    return ob.due.at if ob is not None and ob.status == Status.open else None
