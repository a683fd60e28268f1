"""The pure rule engine: a case's events and an instant in, its warnings out.

No I/O, no wall clock: the same history and `now` always give the same warnings with the
same ids, whatever order or how many times the events arrived.

A case is evaluated subject by subject: a person's obligations and violations depend on
that person's events and the case-level ones only (`subject_events`). `evaluate_case` is
the merge of every subject's result. A subject's evaluation is a walk over its events in
force (`rules.subject.SubjectFold`) read at `now`; the worker keeps each subject's walk
between events and steps it with the next one, so its cost grows neither with the case nor
with the person's history (streams/case_logic.py).
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cached_property
from hashlib import blake2b

from rules.calendar import WorkCalendar
from rules.catalogue import Catalogue
from rules.checks import CHECKS
from rules.history import effective_retractions, in_force, order_key, ordered_unique
from rules.measures import MeasureDef, measure_states
from rules.obligations import Obligation, ViolationHit
from rules.periods import PeriodCounter
from rules.render import (
    obligation_state,
    obligation_warning,
    violation_warning,
    withdrawn,
    withdrawn_state,
)
from rules.ruleset import RuleSet, load_ruleset
from rules.subject import RunKey, Step, SubjectFold
from schemas.enums import Status
from schemas.event import Envelope
from schemas.event_types import CASE_LEVEL_TYPES
from schemas.measure_state import MeasureState
from schemas.obligation_state import LifeRecord
from schemas.warning import Warning

#: The subject of a case's case-level obligations; persons are subjects by their person_id.
CASE_SUBJECT = None
#: Bumped whenever a walk's meaning or its persisted form changes: persisted walks of
#: another version are not continued (the worker evaluates such a case afresh).
WALK_VERSION = 1


@dataclass(frozen=True, slots=True)
class CaseResult:
    warnings: list[Warning]  # every warning raised by `now`, whatever its status
    next_at: datetime | None  # the next instant the case changes by the clock (a due, a
    # lead opening, or an event dated ahead of `now` taking effect)
    measures: list[MeasureState]
    obligations: list[LifeRecord] = field(default_factory=list)  # every obligation's


@dataclass(slots=True)
class Walked:
    """A subject's history walked and read at an instant (`Engine.walk_subject`)."""

    result: CaseResult
    fold: SubjectFold  # the walk of the events in force, to be continued with later ones
    next: dict[RunKey, datetime | None]  # each open obligation's next change by the clock
    events: list[Envelope]  # the subject's events in order of legal effect, each once


@dataclass(slots=True)
class Reading:
    """A walk read at an instant."""

    warnings: dict[str, Warning]
    obligations: dict[tuple[str, str], Obligation]
    next_at: datetime | None


def _states(reading: Reading) -> dict[str, LifeRecord]:
    states = (obligation_state(ob) for ob in reading.obligations.values())
    return {s["obligation_id"]: s for s in states}


def subject_of(event: Envelope) -> str | None:
    """The subject an event belongs to; case-level events belong to every subject."""
    return CASE_SUBJECT if event.event_type in CASE_LEVEL_TYPES else event.person_id


def subjects_of(events: Iterable[Envelope]) -> list[str | None]:
    """Every subject of a case: its persons in order, then the case itself."""
    persons = {e.person_id for e in events if e.event_type not in CASE_LEVEL_TYPES}
    return [*sorted(persons), CASE_SUBJECT]


def subject_events(events: Iterable[Envelope], subject: str | None) -> list[Envelope]:
    """The events a subject's evaluation reads: its own and the case-level ones."""
    return [e for e in events if subject_of(e) in (subject, CASE_SUBJECT)]


def supersedes(new, held) -> bool:
    """Whether a subject's record takes the place of an earlier subject's in a merge (the
    first in force wins, else the first)."""
    return held is None or (withdrawn_record(held) and not withdrawn_record(new))


def withdrawn_record(record) -> bool:
    """A warning or life record whose ground went away."""
    if isinstance(record, dict):
        return record["status"] == Status.withdrawn.value
    return getattr(record, "status", None) == Status.withdrawn


def merge(results: Sequence[CaseResult]) -> CaseResult:
    """One case's result from its subjects' results (in `subjects_of` order).

    A warning raised by several subjects (a violation resting on a case-level event) is
    taken from the first subject that has it in force, else from the first that withdrew it.
    """
    warnings: dict[str, Warning] = {}
    states: dict[str, LifeRecord] = {}
    for r in results:
        for w in r.warnings:
            if supersedes(w, warnings.get(w.warning_id)):
                warnings[w.warning_id] = w
        for s in r.obligations:
            if supersedes(s, states.get(s["obligation_id"])):
                states[s["obligation_id"]] = s
    nexts = [r.next_at for r in results if r.next_at is not None]
    return CaseResult(list(warnings.values()), min(nexts, default=None),
                      [m for r in results for m in r.measures], list(states.values()))


class Engine:
    """The rules of `rules/` (its parts replaced by those given), or `from_ruleset`'s.
    Warnings carry the catalogue's version."""

    def __init__(self, catalogue: Catalogue | None = None, calendar: WorkCalendar | None = None,
                 measures: tuple[MeasureDef, ...] | None = None):
        default = None if None not in (catalogue, calendar, measures) else load_ruleset()
        self.catalogue = catalogue or default.catalogue
        self.calendar = calendar or default.calendar
        self.counter = PeriodCounter(self.calendar)
        self.measures = default.measures if measures is None else measures
        self.checked = tuple(r for r in self.catalogue.violations if r.check)
        readers: dict[str, list] = {}
        for rule in self.checked:
            for kind in CHECKS[rule.check["type"]].reads(rule.check):
                readers.setdefault(kind, []).append(rule)
        self.check_readers = {k: tuple(v) for k, v in readers.items()}
        self.measure_reads = frozenset(t for m in self.measures for t in (*m.starts, *m.ends))

    @classmethod
    def from_ruleset(cls, rules: RuleSet) -> "Engine":
        return cls(rules.catalogue, rules.calendar, rules.measures)

    @cached_property
    def fingerprint(self) -> str:
        """What the walks depend on besides the events: the catalogue, the measures, the
        calendar (and the holiday data it reads) and the walk's own version."""
        data = [WALK_VERSION, asdict(self.catalogue), [asdict(m) for m in self.measures],
                self.calendar.settings()]
        text = json.dumps(data, sort_keys=True, default=_canonical, ensure_ascii=False)
        return blake2b(text.encode(), digest_size=12).hexdigest()

    def evaluate_case(self, events: Iterable[Envelope], now: datetime,
                      obligations: bool = False) -> CaseResult:
        """All events must belong to one case. Events after `now` are ignored.
        `obligations`: list every obligation's life record too."""
        everything = ordered_unique(events)
        return merge([self.evaluate_subject(subject_events(everything, s), s, now, obligations)
                      for s in subjects_of(everything)])

    def evaluate_subject(self, events: Iterable[Envelope], subject: str | None,
                         now: datetime, obligations: bool = False) -> CaseResult:
        """One subject's warnings, measures and next change; `events` are the subject's own
        and the case's case-level events (`subject_events`), in any order."""
        return self.walk_subject(events, subject, now, obligations).result

    def walk_subject(self, events: Iterable[Envelope], subject: str | None, now: datetime,
                     obligations: bool = True) -> Walked:
        """`evaluate_subject`, and the walk of the events in force by `now` (its open
        obligations, checks and spells), to be continued with later events."""
        everything = ordered_unique(events)
        ordered = [e for e in everything if e.occurred_at <= now]
        future = everything[len(ordered)].occurred_at if len(everything) > len(ordered) else None
        retracted, retractions = effective_retractions(ordered)
        fold = self.walk(in_force(ordered, retracted), subject)
        final = self.read(fold, now)
        warnings = dict(final.warnings)
        states = _states(final) if obligations else {}
        for r in retractions:
            at = r.event.occurred_at
            before = [e for e in ordered if order_key(e) < order_key(r.event)]
            earlier, _ = effective_retractions(before)
            past = self.read(self.walk(in_force(before, earlier), subject), at)
            for wid, w in past.warnings.items():
                if wid not in warnings:
                    warnings[wid] = withdrawn(w, at, because=r.event.event_id)
            for oid, s in _states(past).items() if obligations else ():
                if oid not in states:
                    states[oid] = withdrawn_state(s, at)
        measures = [] if subject is CASE_SUBJECT else measure_states(
            self.measures, fold.case_id, subject, fold.spells, fold.due_of(now))
        next_at = min((t for t in (final.next_at, future) if t is not None), default=None)
        fold.forget()
        result = CaseResult(list(warnings.values()), next_at, measures, list(states.values()))
        nexts = {k: ob.next_at if (ob := final.obligations.get(k)) else None for k in fold.runs}
        return Walked(result, fold, nexts, everything)

    def walk(self, events: list[Envelope], subject: str | None) -> SubjectFold:
        """A subject's walk over its events in force (in order), remembering everything."""
        fold = SubjectFold(self, subject, keep=True)
        for event in events:
            if subject_of(event) in (subject, CASE_SUBJECT):
                self.step(fold, event)
        return fold

    def step(self, fold: SubjectFold, event: Envelope) -> Step:
        """Apply the next event in force to a subject's walk (`SubjectFold.step`): every
        evaluation of an event goes through here, the worker's and `evaluate`'s alike."""
        return fold.step(event)

    def read(self, fold: SubjectFold, now: datetime) -> Reading:
        """A whole walk (`walk`) read at `now`: obligations in the order of their
        triggers, each after the violations it raised, then the checks' violations."""
        out = Reading({}, {}, None)
        for key, run in fold.history.items():
            ob = run.read(now)
            if ob is None:
                continue  # a period that has not started: no obligation yet
            out.obligations[key] = ob
            for hit in ob.violations:
                self._add_violation(hit, out)
            if ob.raised:
                w = obligation_warning(ob, ob.due.provisional, self.catalogue.version)
                out.warnings[w.warning_id] = w
            if ob.next_at is not None and (out.next_at is None or ob.next_at < out.next_at):
                out.next_at = ob.next_at
        for rule in self.checked:
            for hit in fold.check_hits[rule.id]:
                self._add_violation(hit, out)
        return out

    def violation(self, hit: ViolationHit) -> Warning:
        return violation_warning(self.catalogue.by_id[hit.rule_id], hit, self.catalogue.version)

    def _add_violation(self, hit: ViolationHit, out: Reading) -> None:
        w = self.violation(hit)
        out.warnings.setdefault(w.warning_id, w)


def _canonical(value):
    if isinstance(value, frozenset | set):
        return sorted(value, key=repr)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")
