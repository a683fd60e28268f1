"""Apply one message to a case's state and say what to publish. Pure: no Faust, no I/O.

On every event or timer tick the case is re-evaluated from its full history at `now`;
what changed since the last publication (warnings, measure states) is published again.
A replayed source message (a crash came before its offset was committed) publishes the
case's whole current state once more: outputs are idempotent, so nothing is lost.
A published warning that a late event proved never due is published as withdrawn, and a
published measure whose start was retracted as ended.
"""

from dataclasses import dataclass, field
from datetime import datetime

from rules.engine import Engine
from rules.render import withdrawn
from schemas.event import Envelope
from schemas.measure_state import MeasureState
from schemas.warning import Warning
from streams.case_state import CaseState


@dataclass
class Outcome:
    warnings: list[Warning] = field(default_factory=list)
    measures: list[MeasureState] = field(default_factory=list)
    archived: Envelope | None = None  # a new event, for the archive
    conflict: str | None = None  # why the event was refused
    duplicate: bool = False


def conflict_reason(event_id: str) -> str:
    return f"event_id {event_id!r} was seen before with a different body; the first stays"


def apply_event(state: CaseState, event: Envelope, now: datetime, engine: Engine,
                replay: bool = False) -> Outcome:
    known = state.event(event.event_id)
    if known is not None and known != event:
        return Outcome(conflict=conflict_reason(event.event_id))
    if known is not None and not replay:
        return Outcome(duplicate=True)
    if known is None:
        state.events[event.event_id] = event.model_dump_json()
    outcome = evaluate(state, now, engine, republish=replay)
    outcome.archived = event
    outcome.duplicate = known is not None
    return outcome


def evaluate(state: CaseState, now: datetime, engine: Engine, republish: bool = False) -> Outcome:
    """Re-evaluate the case at `now`; return what changed (or everything, to republish)."""
    events = state.parsed_events()
    result = engine.evaluate_case(events, now)
    outcome = Outcome()
    current = {f"w:{w.warning_id}": w for w in result.warnings}
    for key in [k for k in state.warnings if k not in current]:
        old = Warning.model_validate_json(state.warnings[key])
        if old.status == "withdrawn":
            current[key] = old
            continue
        latest = max((e.occurred_at for e in events), default=old.changed_at)
        current[key] = withdrawn(old, engine.catalogue.by_id[old.rule_id],
                                 max(latest, old.changed_at))
    for key, w in current.items():
        if _changed(state, key, w, republish):
            outcome.warnings.append(w)
            state.warnings[key] = w.model_dump_json()
    measures = {f"m:{m.person_id}:{m.measure}": m for m in result.measures}
    for key in [k for k in state.measures if k not in measures]:
        old = MeasureState.model_validate_json(state.measures[key])
        latest = max((e.occurred_at for e in events), default=old.since)
        measures[key] = old if not old.active else old.model_copy(
            update=dict(active=False, until=max(latest, old.since), due_at=None))
    for key, m in measures.items():
        if _changed(state, key, m, republish):
            outcome.measures.append(m)
            state.measures[key] = m.model_dump_json()
    if outcome.measures:
        state.version += 1
    state.next_at = result.next_at.timestamp() if result.next_at else None
    return outcome


def _changed(state: CaseState, key: str, record, republish: bool) -> bool:
    new = _signature(record)
    if state.published.get(key) == new and not republish:
        return False
    state.published[key] = new
    return True


def _ts(at: datetime | None) -> str:
    return "" if at is None else str(int(at.timestamp()))


def _signature(record: Warning | MeasureState) -> str:
    """What a published record's state depends on; its texts are derived from these."""
    if isinstance(record, Warning):
        fields = (record.level, record.status, record.late, _ts(record.due_at),
                  _ts(record.resolved_at), _ts(record.changed_at), record.calendar_provisional)
    else:
        fields = (record.active, _ts(record.since), _ts(record.until), _ts(record.due_at))
    return "|".join(map(str, fields)) + "|" + ",".join(record.evidence)
