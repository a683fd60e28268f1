"""One case's logic and timer, as Flink's KeyedProcessFunction or bytewax's StatefulLogic:
`on_events` (new messages), `on_due` (its clock), `next_due`, and `changes` (what to
persist). Pure: no Faust, no Kafka, no I/O; the clock comes in as `now`.

The case is evaluated subject by subject (rules/engine.py): an event re-evaluates only the
subjects it touches (its person, or every subject for a case-level event), and a due only
the subjects that are due, so the cost of a message does not grow with the case's history.
What changed since the last publication (warnings, measure states) is published; a
published warning that a late event proved never due is published as withdrawn, and a
published measure whose start was retracted as ended. A redelivered source message (a crash
came before its offset was committed) publishes the case's whole current state again:
outputs are idempotent, so nothing is lost.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from rules.engine import CASE_SUBJECT, CaseResult, Engine, subject_of
from rules.render import withdrawn
from schemas.case_state import CaseMeta
from schemas.enums import Status
from schemas.event import EVENT_ADAPTER, Envelope
from schemas.measure_state import MeasureState
from schemas.warning import Warning

Record = Warning | MeasureState

#: Item names of a case's persisted state (see `changes`): events, published records, meta.
EVENT_ITEM, PUBLISHED_ITEM, META_ITEM = "e:", "p:", "m"


@dataclass(slots=True)
class Arrival:
    """A valid source message of this case."""

    event: Envelope
    raw: bytes  # the message's value, for the archive
    offset: int


@dataclass(slots=True)
class Outcome:
    warnings: list[Warning] = field(default_factory=list)
    measures: list[MeasureState] = field(default_factory=list)
    version: int = 0  # of the measure states published
    archived: list[Arrival] = field(default_factory=list)  # new events, for the archive
    conflicts: list[tuple[Arrival, str]] = field(default_factory=list)  # refused, and why
    duplicates: int = 0


def conflict_reason(event_id: str) -> str:
    return f"event_id {event_id!r} was seen before with a different body; the first stays"


def _ts(at: datetime | None) -> str:
    return "" if at is None else str(int(at.timestamp()))


def signature(record: Record) -> str:
    """What a published record's state depends on; its texts are derived from these."""
    if isinstance(record, Warning):
        fields = (record.level, record.status, record.late, _ts(record.due_at),
                  _ts(record.resolved_at), _ts(record.changed_at), record.calendar_provisional)
    else:
        fields = (record.active, _ts(record.since), _ts(record.until), _ts(record.due_at))
    return "|".join(map(str, fields)) + "|" + ",".join(record.evidence)


def record_key(record: Record) -> str:
    if isinstance(record, Warning):
        return f"w:{record.warning_id}"
    return f"m:{record.person_id}:{record.measure}"


class CaseLogic:
    """A case's events, what was published of it, and its per-subject results."""

    __slots__ = ("case_id", "engine", "events", "published", "offset", "version",
                 "_by_subject", "_subject_list", "_results", "_next", "_owners", "_dirty",
                 "_new_events", "_loaded_due")

    def __init__(self, case_id: str, engine: Engine):
        self.case_id = case_id
        self.engine = engine
        self.events: dict[str, Envelope] = {}
        self.published: dict[str, tuple[str, Record]] = {}  # key -> (signature, record)
        self.offset = -1  # highest source offset applied
        self.version = 0  # grows with every publication of measure states
        self._by_subject: dict[str | None, list[Envelope]] = {}  # None: case-level events
        self._subject_list: list[str | None] = [CASE_SUBJECT]  # in `_subjects` order
        # per-subject results, in memory only (evaluated again after a load):
        self._results: dict[str | None, dict[str, Record]] = {}
        self._next: dict[str | None, datetime | None] = {}
        self._owners: dict[str, set[str | None]] = {}  # record key -> subjects raising it
        self._dirty: set[str] = set()  # items changed since `changes`, but new events:
        self._new_events: dict[str, bytes] = {}  # their messages' bytes, validated already
        self._loaded_due: float | None = None  # the persisted due, until evaluated again

    # ------------------------------------------------------------------ the two handlers

    def on_events(self, arrivals: Iterable[Arrival], now: datetime) -> Outcome:
        """Apply a batch of this case's messages (in offset order) and evaluate once."""
        out = Outcome()
        touched: set[str | None] = set()
        replay = False
        for a in arrivals:
            redelivered = a.offset <= self.offset
            self.offset = max(self.offset, a.offset)
            known = self.events.get(a.event.event_id)
            if known is not None and known != a.event:
                out.conflicts.append((a, conflict_reason(a.event.event_id)))
                continue
            replay |= redelivered
            if known is not None and not redelivered:
                out.duplicates += 1
                continue
            out.archived.append(a)
            if known is not None:
                continue
            self._add(a.event)
            self._new_events[EVENT_ITEM + a.event.event_id] = a.raw  # persisted as it came
            touched.add(subject_of(a.event))
        if replay or CASE_SUBJECT in touched:
            touched = set(self._subjects())
        self._publish(touched, now, out, republish=replay)
        return out

    def on_due(self, now: datetime) -> Outcome:
        """Re-evaluate the subjects whose next change has come."""
        due = {s for s, at in self._next.items() if at is not None and at <= now}
        out = Outcome()
        self._publish(due, now, out)
        return out

    def evaluate_all(self, now: datetime) -> Outcome:
        """Re-evaluate every subject and publish what changed (a case taken out of
        quarantine, or checked after one of its events failed)."""
        out = Outcome()
        self._publish(set(self._subjects()), now, out)
        return out

    def next_due(self) -> float | None:
        """Epoch seconds of the next clock-driven change, or None."""
        if not self._next:
            return self._loaded_due
        nexts = [at for at in self._next.values() if at is not None]
        return min(nexts).timestamp() if nexts else None

    # ------------------------------------------------------------------ evaluation

    def _add(self, event: Envelope) -> None:
        self.events[event.event_id] = event
        subject = subject_of(event)
        if subject not in self._by_subject and subject is not CASE_SUBJECT:
            self._subject_list = sorted([*self._subject_list, subject], key=_subject_order)
        self._by_subject.setdefault(subject, []).append(event)

    def _subjects(self) -> list[str | None]:
        """Persons in order, then the case: the order `rules.engine.merge` reads them in."""
        return self._subject_list

    def _events_of(self, subject: str | None) -> list[Envelope]:
        case_level = self._by_subject.get(CASE_SUBJECT, [])
        if subject is CASE_SUBJECT:
            return list(case_level)
        return [*self._by_subject.get(subject, ()), *case_level]

    def _evaluate(self, subject: str | None, now: datetime) -> None:
        result = self.engine.evaluate_subject(self._events_of(subject), subject, now)
        old = self._results.get(subject, {})
        new = {record_key(r): r for r in _records(result)}
        for key in old.keys() - new.keys():
            owners = self._owners[key]
            owners.discard(subject)
            if not owners:
                del self._owners[key]
        for key in new.keys() - old.keys():
            self._owners.setdefault(key, set()).add(subject)
        self._results[subject] = new
        self._next[subject] = result.next_at

    def _current(self, key: str) -> Record | None:
        """A record as `rules.engine.merge` gives it: the first subject's that has it in
        force, else the first subject's."""
        owners = self._owners.get(key)
        if not owners:
            return None
        records = [self._results[s][key] for s in sorted(owners, key=_subject_order)]
        return next((r for r in records if not _withdrawn(r)), records[0])

    def _publish(self, subjects: set[str | None], now: datetime, out: Outcome,
                 republish: bool = False) -> None:
        """Evaluate `subjects`, and those not evaluated since the case was loaded, and
        publish what changed."""
        subjects = subjects | {s for s in self._subjects() if s not in self._results}
        self._dirty.add(META_ITEM)  # the next due moves with every evaluation
        # a case loaded from its store has no results yet: any published record may change
        keys: set[str] = set(self.published) if republish or not self._results else set()
        for s in sorted(subjects, key=_subject_order):
            keys.update(self._results.get(s, ()))
            self._evaluate(s, now)
            keys.update(self._results[s])
        ordered = [k for s in sorted(subjects, key=_subject_order) for k in self._results[s]
                   if k in keys]
        for key in dict.fromkeys([*ordered, *sorted(keys)]):
            record = self._current(key) or self._gone(key)
            if record is None:
                continue
            sig = signature(record)
            held = self.published.get(key)
            if held is not None and held[0] == sig and not republish:
                continue
            self.published[key] = (sig, record)
            self._dirty.add(PUBLISHED_ITEM + key)
            (out.warnings if isinstance(record, Warning) else out.measures).append(record)
        if out.measures:
            self.version += 1
        out.version = self.version

    def _gone(self, key: str) -> Record | None:
        """A published record the events no longer raise: withdrawn, or ended."""
        held = self.published.get(key)
        if held is None:
            return None
        old = held[1]
        if _withdrawn(old) or (isinstance(old, MeasureState) and not old.active):
            return old
        latest = max((e.occurred_at for e in self._events_of(old.person_id)),
                     default=old.changed_at if isinstance(old, Warning) else old.since)
        if isinstance(old, Warning):
            return withdrawn(old, max(latest, old.changed_at))
        return old.model_copy(update=dict(active=False, until=max(latest, old.since),
                                          due_at=None))

    # ------------------------------------------------------------------ persistence

    def changes(self) -> dict[str, bytes]:
        """The items changed since the last call, as bytes: the changelog's delta."""
        out = dict(self._new_events)
        for item in self._dirty:
            if item == META_ITEM:
                meta = CaseMeta(offset=self.offset, version=self.version, next_due=self.next_due())
                out[item] = meta.model_dump_json().encode()
            else:
                sig, record = self.published[item[len(PUBLISHED_ITEM):]]
                kind = b"w" if isinstance(record, Warning) else b"m"
                out[item] = kind + record.model_dump_json().encode()
        self._dirty.clear()
        self._new_events.clear()
        return out

    @classmethod
    def restore(cls, case_id: str, engine: Engine, items: dict[str, bytes]) -> "CaseLogic":
        """A case from its persisted items (the inverse of `changes`)."""
        logic = cls(case_id, engine)
        for item, value in items.items():
            if item == META_ITEM:
                logic.offset, logic.version, logic._loaded_due = parse_meta(value)
            elif item.startswith(EVENT_ITEM):
                logic._add(EVENT_ADAPTER.validate_json(value))
            elif item.startswith(PUBLISHED_ITEM):
                model = Warning if value[:1] == b"w" else MeasureState
                record = model.model_validate_json(value[1:])
                logic.published[item[len(PUBLISHED_ITEM):]] = (signature(record), record)
        return logic


def parse_meta(value: bytes) -> tuple[int, int, float | None]:
    """A meta item: the highest source offset applied, the measures' version, the next due."""
    meta = CaseMeta.model_validate_json(value)
    return meta.offset, meta.version, meta.next_due


def _records(result: CaseResult) -> list[Record]:
    return [*result.warnings, *result.measures]


def _withdrawn(record: Record) -> bool:
    return isinstance(record, Warning) and record.status == Status.withdrawn


def _subject_order(subject: str | None) -> tuple[bool, str]:
    return subject is CASE_SUBJECT, subject or ""
