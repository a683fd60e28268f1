"""One case's logic and timer, as Flink's KeyedProcessFunction or bytewax's StatefulLogic:
`on_events` (new messages), `on_due` (its clock), `next_due`, and `changes` (what to
persist). Pure: no Faust, no Kafka, no I/O but reading the case's own items through an
`ItemReader`; the clock comes in as `now`.

The case is evaluated subject by subject (rules/engine.py), and each subject's walk is kept
between messages (streams/subject_state.py): an event that comes in order of legal effect
after everything its subject has seen is one step of that walk, and only the obligations it
moves or opens, those whose time has come, its violations and the person's measures are
read and compared with what was published. So an event costs the same whatever the case's
size and the person's history, and a case loaded from its store reads its meta, the
subjects it needs and their open obligations' triggers, never its history.

An event out of order, a retraction that applies, a clock gone back, or a subject not seen
before re-walks that subject from its events (read by its index items); a case stored by an
older version or with other rules (`Engine.fingerprint`) is walked afresh as a whole, as is
a case where a re-walk meets a violation that several subjects may raise (one resting on a
case-level event). What changed since the last publication (warnings, obligation life
records, measure states) is published; a published warning that a late event proved never
due is published as withdrawn, a published measure whose start was retracted as ended. A
redelivered source message (a crash came before its offset was committed) publishes the
case's whole current state again: outputs are idempotent, so nothing is lost.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from rules.engine import (
    CASE_SUBJECT,
    CaseResult,
    Engine,
    Walked,
    subject_of,
    supersedes,
    withdrawn_record,
)
from rules.history import RETRACTION, order_key
from rules.measures import measure_states
from rules.render import (
    obligation_id,
    obligation_state,
    obligation_warning,
    withdrawn,
    withdrawn_state,
)
from rules.subject import Run
from schemas.case_state import CaseMeta
from schemas.enums import Level
from schemas.event import EVENT_ADAPTER, Envelope
from schemas.measure_state import MeasureState
from schemas.obligation_state import LifeRecord
from schemas.warning import Warning
from streams.case_items import (
    EVENT_ITEM,
    INDEX_CHUNK,
    META_ITEM,
    PUBLISHED_ITEM,
    SUBJECT_ITEM,
    ItemReader,
    MemoryItems,
    index_item,
    index_prefix,
    parse_meta,
    subject_key,
    subject_of_key,
)
from streams.subject_state import SubjectState

Record = Warning | LifeRecord | MeasureState  # what is published of a case


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
    obligations: list[LifeRecord] = field(default_factory=list)
    version: int = 0  # of the measure and obligation states published
    archived: list[Arrival] = field(default_factory=list)  # new events, for the archive
    conflicts: list[tuple[Arrival, str]] = field(default_factory=list)  # refused, and why
    duplicates: int = 0


def conflict_reason(event_id: str) -> str:
    return f"event_id {event_id!r} was seen before with a different body; the first stays"


def _ts(at: datetime | None) -> str:
    return "" if at is None else str(int(at.timestamp()))


def signature(record: Record) -> str:
    """What a published record's state depends on; its texts are derived from these. A
    warning's includes the rule set that produced it: after a change of rules every warning
    the new rules still raise goes out again, stamped with their version."""
    if isinstance(record, Warning):
        fields = (record.level, record.status, record.late, _ts(record.due_at),
                  _ts(record.resolved_at), _ts(record.changed_at), record.calendar_provisional,
                  record.catalogue_version)
    elif isinstance(record, dict):
        r = record
        return (f"{r['status']}|{r['late']}|{r['level']}|{r['due_at']}|{r['resolved_at']}|"
                f"{r['changed_at']}|{r['extensions']}|{r['calendar_provisional']}")
    else:
        fields = (record.active, _ts(record.since), _ts(record.until), _ts(record.due_at))
    return "|".join(map(str, fields)) + "|" + ",".join(record.evidence)


def record_key(record: Record) -> str:
    if isinstance(record, Warning):
        return f"w:{record.warning_id}"
    if isinstance(record, dict):
        return f"o:{record['obligation_id']}"
    return f"m:{record.person_id}:{record.measure}"


def parse_published(value: bytes) -> Record:
    kind, data = value[:1], value[1:]
    if kind == b"o":
        return orjson.loads(data)
    return (Warning if kind == b"w" else MeasureState).model_validate_json(data)


def encode_published(record: Record) -> bytes:
    if isinstance(record, dict):
        return b"o" + orjson.dumps(record)
    return (b"w" if isinstance(record, Warning) else b"m") + record.model_dump_json().encode()


class CaseLogic:
    """A case's subjects, what was published of it, and what it must persist."""

    __slots__ = ("case_id", "engine", "offset", "version", "events", "published", "_reader",
                 "_absent", "_states", "_dues", "_by_subject", "_all_events", "_complete",
                 "_unindexed",
                 "_all_published", "_targets", "_stale", "_legacy", "_loaded_due", "_born",
                 "_new_items", "_dirty", "_dirty_subjects", "_meta_dirty")

    def __init__(self, case_id: str, engine: Engine, reader: ItemReader | None = None):
        self.case_id = case_id
        self.engine = engine
        self.offset = -1  # highest source offset applied
        self.version = 0  # grows with every publication of measure or obligation states
        self.events: dict[str, Envelope] = {}  # the events read or received so far
        self.published: dict[str, tuple[str, Record]] = {}  # key -> (signature, record)
        self._reader = reader or MemoryItems()
        self._absent: set[str] = set()  # keys never published (looked up in the store)
        self._states: dict[str | None, SubjectState] = {}  # the subjects read so far
        self._dues: dict[str | None, float | None] = {}  # every subject: its next due
        self._by_subject: dict[str | None, dict[str, Envelope]] = {}
        self._all_events = reader is None  # every event of the case is in `events`
        self._complete: set[str | None] = set()  # subjects whose events are all in memory
        self._unindexed: dict[str | None, list[str]] = {}  # new event ids, per subject
        self._all_published = reader is None  # every published record is in `published`
        self._targets: set[str] = set()  # event ids that retractions name
        self._stale = False  # the stored walks do not fit: walk the whole case afresh
        self._legacy = False  # stored before walks were: no index items either
        self._loaded_due: float | None = None  # the stored due of a stale case
        self._born: set[str | None] = set()  # subjects whose first event came in this call
        self._new_items: dict[str, bytes] = {}  # new events and their index items
        self._dirty: set[str] = set()  # published keys changed since `changes`
        self._dirty_subjects: set[str | None] = set()
        self._meta_dirty = False

    # ------------------------------------------------------------------ the two handlers

    def on_events(self, arrivals: Iterable[Arrival], now: datetime) -> Outcome:
        """Apply a batch of this case's messages (in offset order) and evaluate once."""
        out = Outcome()
        new: dict[str | None, list[Envelope]] = {}
        replay = False
        self._born.clear()
        for a in arrivals:
            redelivered = a.offset <= self.offset
            self.offset = max(self.offset, a.offset)
            known = self._known(a.event.event_id)
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
            self._add(a.event, a.raw)
            new.setdefault(subject_of(a.event), []).append(a.event)
        self._meta_dirty = True
        if self._stale:
            self._walk_case(now, out, replay)
        else:
            touched = set(new)
            if CASE_SUBJECT in touched:
                touched = set(self._dues)
            if replay:  # the whole current state: also what the clock changed meanwhile
                touched |= {s for s, at in self._dues.items()
                            if at is not None and at <= now.timestamp()}
            self._evaluate(touched, new, now, out, replay)
        self._count_version(out)
        return out

    def on_due(self, now: datetime) -> Outcome:
        """Read again the subjects whose next change has come."""
        out = Outcome()
        self._born.clear()
        self._meta_dirty = True
        if self._stale:
            self._walk_case(now, out, False)
        else:
            due = {s for s, at in self._dues.items() if at is not None and at <= now.timestamp()}
            self._evaluate(due, {}, now, out, False)
        self._count_version(out)
        return out

    def evaluate_all(self, now: datetime) -> Outcome:
        """Walk every subject afresh and publish what changed (a case taken out of
        quarantine, or checked after one of its events failed)."""
        out = Outcome()
        self._born.clear()
        self._meta_dirty = True
        self._walk_case(now, out, False)
        self._count_version(out)
        return out

    def events_of(self, subject: str | None) -> list[Envelope]:
        """Every event of a subject, its own and the case-level ones (read from the store
        if need be), in no particular order."""
        return self._events_of(subject)

    def persons(self) -> list[str]:
        """The persons of the case."""
        return sorted(s for s in self._dues if s is not CASE_SUBJECT)

    def next_due(self) -> float | None:
        """Epoch seconds of the next clock-driven change, or None."""
        if self._stale:
            return self._loaded_due
        return min((at for at in self._dues.values() if at is not None), default=None)

    # ------------------------------------------------------------------ evaluation

    def _evaluate(self, subjects: set[str | None], new: dict[str | None, list[Envelope]],
                  now: datetime, out: Outcome, republish: bool) -> None:
        """Step or re-walk `subjects` with their `new` events and publish what changed."""
        case_level = new.get(CASE_SUBJECT, [])
        plans = []
        for s in sorted(subjects, key=_subject_order):
            st = self._subject(s)
            mine = [*new.get(s, ()), *case_level] if s is not CASE_SUBJECT else case_level
            if not self._needs_walk(s, st, mine, now):
                plans.append((s, st, mine, None))
                continue
            walked = None
            if s is not CASE_SUBJECT or s in self._born:
                walked = self._walk_subject(s, st, new, now)
            if walked is None:  # the case's own subject, or a violation others may raise
                self._walk_case(now, out, republish)
                return
            plans.append((s, st, mine, walked))
        current: dict[str, Record] = {}
        gone: set[str] = set()
        for s, st, mine, walked in plans:
            if walked is None:
                records, unraised = self._step(st, mine, now)
                gone |= unraised
            else:
                st, records, lost = walked
                self._states[s] = st
                gone |= lost
            for record in records:
                key = record_key(record)
                if key not in current or supersedes(record, current[key]):
                    current[key] = record
            self._dues[s] = _epoch(st.next_due())
            self._dirty_subjects.add(s)
        for key, record in current.items():
            self._publish(key, record, out, republish)
        for key in sorted(gone - current.keys()):
            record = self._gone(key)
            if record is not None:
                self._publish(key, record, out, republish)
        if republish:
            self._republish_rest(current.keys() | gone, out)

    def _needs_walk(self, s: str | None, st: SubjectState | None, mine: list[Envelope],
                    now: datetime) -> bool:
        """Whether `mine` cannot simply be the next steps of the subject's walk."""
        if st is None or (st.now is not None and now < st.now):
            return True
        for e in (*st.pending, *mine):
            if e.occurred_at > now:
                continue  # takes effect later, checked then
            if st.last is not None and order_key(e) <= st.last:
                return True
            if e.event_id in self._targets or self._retracts_here(e, s):
                return True
        return False

    def _retracts_here(self, event: Envelope, s: str | None) -> bool:
        """A retraction of an event of the subject (its own or a case-level one)."""
        if event.event_type != RETRACTION:
            return False
        target = self._known(event.details.retracts_event_id)
        return target is not None and subject_of(target) in (s, CASE_SUBJECT)

    def _step(self, st: SubjectState, mine: list[Envelope], now: datetime
              ) -> tuple[list[Record], set[str]]:
        """Apply the subject's events now in force, in order; the records to compare with
        what was published (of the obligations moved, opened, ended or due by `now`, the
        violations raised, and the person's measures if anything was applied), and the
        warnings of obligations that no longer reach a level (a late event closed them
        before the level their last reading reached)."""
        events = [*st.pending, *mine]
        st.latest = max((t for t in (st.latest, *(e.occurred_at for e in mine)) if t),
                        default=None)
        effective = sorted((e for e in events if e.occurred_at <= now), key=order_key)
        st.pending = sorted((e for e in events if e.occurred_at > now), key=order_key)
        fold = st.fold
        ended: list[Run] = []
        hits = []
        taken_back: set[str] = set()
        stepped = False
        for e in effective:
            if e.event_type == RETRACTION:
                continue  # of another subject's event (one of its own re-walks it)
            st.last = order_key(e)
            step = self.engine.step(fold, e)
            stepped = True
            for run in step.moved:
                st.next.pop((run.rule.id, run.trigger.event_id), None)  # read it again
                if run.ended:
                    ended.append(run)
            hits.extend(step.hits)
            taken_back.update(f"w:{wid}" for wid in step.taken_back)
        records: list[Record] = []
        unraised: set[str] = set()
        for ob in [run.read(now) for run in ended] + [
                self._read_due(st, key, run, now) for key, run in fold.runs.items()]:
            if ob is None:
                continue  # unchanged since it was last read
            records.extend(_obligation_records(ob, self.engine.catalogue.version))
            if not ob.raised:
                unraised.add(f"w:{obligation_id(ob)}")
        records.extend(self.engine.violation(hit) for hit in hits)
        if stepped and st.subject is not CASE_SUBJECT:
            records.extend(measure_states(self.engine.measures, self.case_id, st.subject,
                                          fold.spells, fold.due_of(now)))
        st.now = now
        gone = unraised | taken_back
        if st.keys is not None:
            st.keys.update(record_key(r) for r in records)
            st.keys -= gone
        return records, gone

    @staticmethod
    def _read_due(st: SubjectState, key, run: Run, now: datetime):
        """An open obligation read at `now`, unless nothing changed since its last reading."""
        if key in st.next and (st.next[key] is None or st.next[key] > now):
            return None
        ob = run.read(now)
        st.next[key] = None if ob is None else ob.next_at
        return ob

    def _walk_subject(self, s: str | None, st: SubjectState | None,
                      new: dict[str | None, list[Envelope]], now: datetime
                      ) -> tuple[SubjectState, list[Record], set[str]] | None:
        """The subject walked afresh from its events: its state, its records, and the keys
        it raised before and no longer does; None if a violation that other subjects may
        raise too is among them (the whole case must be walked)."""
        events = self._events_of(s)
        walked = self.engine.walk_subject(events, s, now)
        records = _records(walked.result)
        current = {record_key(r): r for r in records}
        if st is not None and st.keys is not None:
            before = st.keys
        elif st is None and s in self._born:
            before = set()
        else:  # read from the store: what did its events give when it was last read?
            fresh = {e.event_id for e in [*new.get(s, ()), *new.get(CASE_SUBJECT, ())]}
            old = [e for e in events if e.event_id not in fresh]
            before = {record_key(r) for r in _records(
                self.engine.evaluate_subject(old, s, st.now, obligations=True))}
        lost = before - current.keys()
        # The case's own first events are new to every subject, which all step them now;
        # otherwise another subject's version of a shared violation may be the one in force.
        if s is not CASE_SUBJECT and (any(_shared(r) for r in records) or any(
                _shared(self._stored_record(k)) for k in lost)):
            return None
        state = self._walked_state(s, walked, now, set(current))
        if st is not None:  # the same events: the same index
            state.recent, state.chunks = st.recent, st.chunks
        return state, records, lost

    def _walked_state(self, s: str | None, walked: Walked, now: datetime,
                      keys: set[str]) -> SubjectState:
        """A subject's state after a walk of all its events (`Engine.walk_subject`)."""
        pending = [e for e in walked.events if e.occurred_at > now]
        applied = [order_key(e) for e in walked.events
                   if e.occurred_at <= now and not (
                       e.event_type == RETRACTION and not self._retracts_here(e, s))]
        latest = walked.events[-1].occurred_at if walked.events else None
        return SubjectState(s, walked.fold, now, applied[-1] if applied else None, pending,
                            walked.next, latest, keys)

    def _walk_case(self, now: datetime, out: Outcome, republish: bool) -> None:
        """Every subject walked afresh, and every published record compared: for a case
        stored by another version or with other rules, and the rare re-walks that need it."""
        self._load_all_events()
        self._targets = {e.details.retracts_event_id for e in self.events.values()
                         if e.event_type == RETRACTION}
        subjects = sorted({subject_of(e) for e in self.events.values()}, key=_subject_order)
        current: dict[str, Record] = {}
        states = {}
        for s in subjects:
            walked = self.engine.walk_subject(self._events_of(s), s, now)
            records = _records(walked.result)
            for record in records:
                key = record_key(record)
                if key not in current or supersedes(record, current[key]):
                    current[key] = record
            states[s] = self._walked_state(s, walked, now, {record_key(r) for r in records})
        self._states = states
        self._dues = {s: _epoch(st.next_due()) for s, st in states.items()}
        self._dirty_subjects = set(states)
        for key, record in current.items():
            self._publish(key, record, out, republish)
        for key in sorted(self._published_keys() - current.keys()):
            record = self._gone(key)
            if record is not None:
                self._publish(key, record, out, republish)
        self._unindexed = {}  # the subjects' indexes are written afresh
        for s, st in states.items():
            st.recent = [e.event_id for e in self._events_of(s) if subject_of(e) == s]
        self._stale = self._legacy = False

    # ------------------------------------------------------------------ publication

    def _publish(self, key: str, record: Record, out: Outcome, republish: bool) -> None:
        sig = signature(record)
        if not republish and self._signature(key) == sig:
            return
        self.published[key] = (sig, record)
        self._dirty.add(key)
        _add_output(out, record)

    def _republish_rest(self, done: set[str], out: Outcome) -> None:
        """A redelivery: every other published record goes out again as it stands."""
        for key in sorted(self._published_keys() - done):
            record = self._stored_record(key)
            if record is not None:
                _add_output(out, record)

    def _gone(self, key: str) -> Record | None:
        """A published record the events no longer raise: withdrawn, or ended."""
        old = self._stored_record(key)
        if old is None:
            return None
        if withdrawn_record(old) or (isinstance(old, MeasureState) and not old.active):
            return old
        latest = self._latest(old["person_id"] if isinstance(old, dict) else old.person_id)
        if isinstance(old, MeasureState):
            until = max(latest or old.since, old.since)
            return old.model_copy(update=dict(active=False, until=until, due_at=None))
        if isinstance(old, dict):
            changed = datetime.fromisoformat(old["changed_at"])
            return withdrawn_state(old, max(latest or changed, changed))
        return withdrawn(old, max(latest or old.changed_at, old.changed_at))

    def _latest(self, subject: str | None) -> datetime | None:
        """The latest `occurred_at` among the events of a subject (own and case-level)."""
        st = self._states.get(subject)
        if st is not None:
            return st.latest
        return max((e.occurred_at for e in self._events_of(subject)), default=None)

    def _count_version(self, out: Outcome) -> None:
        if out.measures or out.obligations:
            self.version += 1
        out.version = self.version

    # ------------------------------------------------------------------ reading the store

    def _known(self, event_id: str) -> Envelope | None:
        """The event of that id, if the case has it."""
        event = self.events.get(event_id)
        if event is None and not self._all_events:
            raw = self._reader.get(EVENT_ITEM + event_id)
            if raw is not None:
                event = self._remember(EVENT_ADAPTER.validate_json(raw))
        return event

    def _event(self, event_id: str) -> Envelope:
        event = self._known(event_id)
        if event is None:
            raise KeyError(f"case {self.case_id}: stored item names event {event_id!r}, "
                           "which is not stored")
        return event

    def _remember(self, event: Envelope) -> Envelope:
        self.events[event.event_id] = event
        self._by_subject.setdefault(subject_of(event), {})[event.event_id] = event
        return event

    def _add(self, event: Envelope, raw: bytes) -> None:
        """A new event of the case."""
        self._remember(event)
        subject = subject_of(event)
        self._new_items[EVENT_ITEM + event.event_id] = raw  # persisted as it came
        self._unindexed.setdefault(subject, []).append(event.event_id)
        if event.event_type == RETRACTION:
            self._targets.add(event.details.retracts_event_id)
        if subject not in self._dues and subject not in self._states:
            self._born.add(subject)
            self._dues[subject] = None

    def _events_of(self, subject: str | None) -> list[Envelope]:
        """Every event of the subject: its own and the case-level ones."""
        self._load_events(subject)
        own = self._by_subject.get(subject, {})
        if subject is CASE_SUBJECT:
            return list(own.values())
        self._load_events(CASE_SUBJECT)
        return [*own.values(), *self._by_subject.get(CASE_SUBJECT, {}).values()]

    def _load_events(self, subject: str | None) -> None:
        """Every event of the subject in memory, read by its index if need be."""
        if self._all_events or subject in self._complete:
            return
        st = self._subject(subject)
        for _, ids in self._reader.scan(index_prefix(subject)):
            for event_id in orjson.loads(ids):
                self._event(event_id)
        for event_id in st.recent if st is not None else ():
            self._event(event_id)
        self._complete.add(subject)

    def _load_all_events(self) -> None:
        if not self._all_events:
            for item, raw in self._reader.scan(EVENT_ITEM):
                if item[len(EVENT_ITEM):] not in self.events:
                    self._remember(EVENT_ADAPTER.validate_json(raw))
            self._all_events = True

    def _subject(self, s: str | None) -> SubjectState | None:
        """A subject's state, read from the store the first time it is needed."""
        st = self._states.get(s)
        if st is None and s in self._dues and s not in self._born:
            raw = self._reader.get(SUBJECT_ITEM + subject_key(s))
            if raw is None:
                raise KeyError(f"case {self.case_id}: subject {s!r} has no stored state")
            st = SubjectState.load(self.engine, s, self.case_id, raw, self._event)
            self._states[s] = st
        return st

    def _stored_record(self, key: str) -> Record | None:
        """The record last published under `key`, if any."""
        held = self.published.get(key)
        if held is not None:
            return held[1]
        if self._all_published or key in self._absent:
            return None
        raw = self._reader.get(PUBLISHED_ITEM + key)
        if raw is None:
            self._absent.add(key)
            return None
        record = parse_published(raw)
        self.published[key] = (signature(record), record)
        return record

    def _signature(self, key: str) -> str | None:
        held = self.published.get(key)
        if held is not None:
            return held[0]
        record = self._stored_record(key)
        return None if record is None else signature(record)

    def _published_keys(self) -> set[str]:
        if not self._all_published:
            for item, raw in self._reader.scan(PUBLISHED_ITEM):
                key = item[len(PUBLISHED_ITEM):]
                if key not in self.published:
                    record = parse_published(raw)
                    self.published[key] = (signature(record), record)
            self._all_published = True
        return set(self.published)

    # ------------------------------------------------------------------ persistence

    def changes(self) -> dict[str, bytes]:
        """The items changed since the last call, as bytes: the changelog's delta."""
        out = dict(self._new_items)
        for key in self._dirty:
            out[PUBLISHED_ITEM + key] = encode_published(self.published[key][1])
        for s, ids in self._unindexed.items():
            self._states[s].recent += ids
            self._dirty_subjects.add(s)
        for s in self._dirty_subjects:
            st = self._states[s]
            while len(st.recent) >= INDEX_CHUNK:  # the subject's index grows by a chunk
                out[index_item(s, st.chunks)] = orjson.dumps(st.recent[:INDEX_CHUNK])
                st.recent, st.chunks = st.recent[INDEX_CHUNK:], st.chunks + 1
            out[SUBJECT_ITEM + subject_key(s)] = st.dump()
        if self._meta_dirty:
            meta = CaseMeta(
                offset=self.offset, version=self.version, next_due=self.next_due(),
                walk="" if self._stale else self.engine.fingerprint,
                subjects={subject_key(s): due for s, due in sorted(
                    self._dues.items(), key=lambda item: _subject_order(item[0]))},
                targets=sorted(self._targets))
            out[META_ITEM] = meta.model_dump_json().encode()
        self._new_items.clear()
        self._unindexed.clear()
        self._dirty.clear()
        self._dirty_subjects.clear()
        self._meta_dirty = False
        return out

    @classmethod
    def restore(cls, case_id: str, engine: Engine,
                items: ItemReader | Mapping[str, bytes]) -> "CaseLogic":
        """A case from its persisted items (the inverse of `changes`), read on demand."""
        reader = MemoryItems(items) if isinstance(items, Mapping) else items
        raw = reader.get(META_ITEM)
        if raw is None:
            return cls(case_id, engine)  # nothing stored yet
        logic = cls(case_id, engine, reader)
        meta = parse_meta(raw)
        logic.offset, logic.version = meta.offset, meta.version
        logic._targets = set(meta.targets)
        if meta.walk != engine.fingerprint:
            logic._stale, logic._legacy = True, meta.walk == ""
            logic._loaded_due = meta.next_due
        else:
            logic._dues = {subject_of_key(k): due for k, due in meta.subjects.items()}
        return logic


def _obligation_records(ob, catalogue_version: str) -> list[Record]:
    state = obligation_state(ob)
    if not ob.raised:
        return [state]
    return [obligation_warning(ob, ob.due.provisional, catalogue_version), state]


def _records(result: CaseResult) -> list[Record]:
    return [*result.warnings, *result.obligations, *result.measures]


def _add_output(out: Outcome, record: Record) -> None:
    if isinstance(record, Warning):
        out.warnings.append(record)
    elif isinstance(record, dict):
        out.obligations.append(record)
    else:
        out.measures.append(record)



def _shared(record: Record | None) -> bool:
    """A violation resting on a case-level event: every subject may raise it."""
    return (isinstance(record, Warning) and record.level == Level.violation
            and record.person_id is None)


def _epoch(at: datetime | None) -> float | None:
    return None if at is None else at.timestamp()


def _subject_order(subject: str | None) -> tuple[bool, str]:
    return subject is CASE_SUBJECT, subject or ""
