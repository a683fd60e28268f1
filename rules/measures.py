"""Which measure each person is under, from the events in force (`measures.toml`).

A person's spells are kept as the events walk past (`step_spells`): per measure, the latest
start and the end of that spell if it has ended. Their state (`MeasureState`) is read from
the spells and the current due of the measure's rule.
"""

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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


@dataclass(frozen=True, slots=True)
class Mark:
    """An event a spell rests on: what its state shows of it."""

    event_id: str
    at: datetime
    unit_id: str

    @classmethod
    def of(cls, event: Envelope) -> "Mark":
        return cls(event.event_id, event.occurred_at, event.unit_id)


Spell = tuple[Mark, Mark | None]  # (start, end)


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


def step_spells(defs: tuple[MeasureDef, ...], spells: dict[str, Spell], event: Envelope) -> bool:
    """Apply the next event in force to a person's spells; true if any changed."""
    changed = False
    for m in defs:
        if event.event_type in m.starts:
            spells[m.name] = (Mark.of(event), None)
            changed = True
        elif event.event_type in m.ends:
            held = spells.get(m.name)
            if held is not None and held[1] is None:
                spells[m.name] = (held[0], Mark.of(event))
                changed = True
    return changed


def measure_states(
    defs: tuple[MeasureDef, ...],
    case_id: str,
    person_id: str,
    spells: dict[str, Spell],
    due_of: Callable[[str | None, str], datetime | None],
) -> list[MeasureState]:
    """One state per measure the person was ever under: the latest spell of it.
    `due_of(rule_id, trigger_id)`: the current due of that obligation while it is open."""
    out = []
    for m in defs:
        held = spells.get(m.name)
        if held is None:
            continue
        start, end = held
        out.append(
            MeasureState(
                case_id=case_id,
                person_id=person_id,
                unit_id=start.unit_id,
                measure=m.name,
                active=end is None,
                since=start.at,
                until=end.at if end else None,
                due_at=due_of(m.due_rule, start.event_id) if end is None else None,
                evidence=[start.event_id] + ([end.event_id] if end else []),
            )
        )
    return out
