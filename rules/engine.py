"""The pure rule engine: a case's events and an instant in, its warnings out.

No I/O, no wall clock: the same history and `now` always give the same warnings with the
same ids, whatever order or how many times the events arrived.

A case is evaluated subject by subject: a person's obligations and violations depend on
that person's events and the case-level ones only (`subject_events`). `evaluate_case` is
the merge of every subject's result; the worker keeps the per-subject results and
re-evaluates only the subjects an event touches, so its cost does not grow with the case.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rules.calendar import WorkCalendar
from rules.catalogue import Catalogue
from rules.checks import CHECKS
from rules.history import effective_retractions, in_force, order_key, ordered_unique
from rules.measures import MeasureDef, measure_states
from rules.obligations import Obligation, ViolationHit, evaluate_obligation
from rules.periods import PeriodCounter
from rules.render import obligation_warning, violation_warning, withdrawn
from rules.ruleset import RuleSet, load_ruleset
from schemas.enums import Status
from schemas.event import Envelope
from schemas.event_types import CASE_LEVEL_TYPES
from schemas.measure_state import MeasureState
from schemas.warning import Warning

#: The subject of a case's case-level obligations; persons are subjects by their person_id.
CASE_SUBJECT = None


@dataclass(frozen=True, slots=True)
class CaseResult:
    warnings: list[Warning]  # every warning raised by `now`, whatever its status
    next_at: datetime | None  # the next instant the case changes by the clock (a due, a
    # lead opening, or an event dated ahead of `now` taking effect)
    measures: list[MeasureState]


@dataclass(slots=True)
class _Pass:
    warnings: dict[str, Warning]
    obligations: dict[tuple[str, str], Obligation]
    events: list[Envelope]
    next_at: datetime | None


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


def merge(results: Sequence[CaseResult]) -> CaseResult:
    """One case's result from its subjects' results (in `subjects_of` order).

    A warning raised by several subjects (a violation resting on a case-level event) is
    taken from the first subject that has it in force, else from the first that withdrew it.
    """
    warnings: dict[str, Warning] = {}
    for r in results:
        for w in r.warnings:
            held = warnings.get(w.warning_id)
            if held is None or (held.status == Status.withdrawn and w.status != Status.withdrawn):
                warnings[w.warning_id] = w
    nexts = [r.next_at for r in results if r.next_at is not None]
    return CaseResult(list(warnings.values()), min(nexts, default=None),
                      [m for r in results for m in r.measures])


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

    @classmethod
    def from_ruleset(cls, rules: RuleSet) -> "Engine":
        return cls(rules.catalogue, rules.calendar, rules.measures)

    def evaluate_case(self, events: Iterable[Envelope], now: datetime) -> CaseResult:
        """All events must belong to one case. Events after `now` are ignored."""
        everything = ordered_unique(events)
        return merge([self.evaluate_subject(subject_events(everything, s), s, now)
                      for s in subjects_of(everything)])

    def evaluate_subject(self, events: Iterable[Envelope], subject: str | None,
                         now: datetime) -> CaseResult:
        """One subject's warnings, measures and next change; `events` are the subject's own
        and the case's case-level events (`subject_events`), in any order."""
        everything = ordered_unique(events)
        ordered = [e for e in everything if e.occurred_at <= now]
        future = everything[len(ordered)].occurred_at if len(everything) > len(ordered) else None
        retracted, retractions = effective_retractions(ordered)
        final = self._pass(in_force(ordered, retracted), subject, now)
        warnings = dict(final.warnings)
        for r in retractions:
            at = r.event.occurred_at
            before = [e for e in ordered if order_key(e) < order_key(r.event)]
            earlier, _ = effective_retractions(before)
            for wid, w in self._pass(in_force(before, earlier), subject, at).warnings.items():
                if wid not in warnings:
                    warnings[wid] = withdrawn(w, at, because=r.event.event_id)
        measures = [] if subject is CASE_SUBJECT else measure_states(
            self.measures, subject, final.events, final.obligations)
        next_at = min((t for t in (final.next_at, future) if t is not None), default=None)
        return CaseResult(list(warnings.values()), next_at, measures)

    def _pass(self, events: list[Envelope], subject: str | None, now: datetime) -> _Pass:
        own = [e for e in events if subject_of(e) in (subject, CASE_SUBJECT)]
        result = _Pass({}, {}, own, None)
        self._obligations(subject, own, now, result)
        for rule in self.catalogue.violations:
            if rule.check:
                for hit in CHECKS[rule.check["type"]](rule, own):
                    self._add_violation(hit, result)
        return result

    def _obligations(self, person, events: list[Envelope], now: datetime, out: _Pass) -> None:
        by_trigger = self.catalogue.by_trigger
        for i, trigger in enumerate(events):
            for rule in by_trigger.get(trigger.event_type, ()):
                if rule.case_level != (person is None) or not rule.trigger.matches(trigger):
                    continue
                ob = evaluate_obligation(rule, trigger, events[i + 1 :], now, self.counter)
                if ob is None:
                    continue  # a period that has not started: no obligation yet
                out.obligations[(rule.id, trigger.event_id)] = ob
                for hit in ob.violations:
                    self._add_violation(hit, out)
                if ob.raised:
                    w = obligation_warning(ob, ob.due.provisional, self.catalogue.version)
                    out.warnings[w.warning_id] = w
                if ob.next_at is not None and (out.next_at is None or ob.next_at < out.next_at):
                    out.next_at = ob.next_at

    def _add_violation(self, hit: ViolationHit, out: _Pass) -> None:
        w = violation_warning(self.catalogue.by_id[hit.rule_id], hit, self.catalogue.version)
        out.warnings.setdefault(w.warning_id, w)
