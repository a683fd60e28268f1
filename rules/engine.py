"""The pure rule engine: a case's events and an instant in, its warnings out.

No I/O, no wall clock: the same history and `now` always give the same warnings with the
same ids, whatever order or how many times the events arrived.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rules.calendar import WorkCalendar
from rules.catalogue import Catalogue, load_catalogue
from rules.checks import CHECKS
from rules.history import effective_retractions, in_force, order_key, ordered_unique
from rules.measures import load_measures, measure_states
from rules.obligations import Obligation, ViolationHit, evaluate_obligation
from rules.periods import PeriodCounter
from rules.render import obligation_warning, violation_warning, withdrawn
from schemas.event import Envelope
from schemas.event_types import CASE_LEVEL_TYPES
from schemas.measure_state import MeasureState
from schemas.warning import Warning


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
    subjects: dict[str | None, list[Envelope]]
    next_at: datetime | None


class Engine:
    def __init__(self, catalogue: Catalogue | None = None, calendar: WorkCalendar | None = None):
        self.catalogue = catalogue or load_catalogue()
        self.calendar = calendar or WorkCalendar.from_file()
        self.counter = PeriodCounter(self.calendar)
        self.measures = load_measures()

    def evaluate_case(self, events: Iterable[Envelope], now: datetime) -> CaseResult:
        """All events must belong to one case. Events after `now` are ignored."""
        everything = ordered_unique(events)
        ordered = [e for e in everything if e.occurred_at <= now]
        future = everything[len(ordered)].occurred_at if len(everything) > len(ordered) else None
        retracted, retractions = effective_retractions(ordered)
        final = self._pass(in_force(ordered, retracted), now)
        warnings = dict(final.warnings)
        for r in retractions:
            at = r.event.occurred_at
            before = [e for e in ordered if order_key(e) < order_key(r.event)]
            earlier, _ = effective_retractions(before)
            for wid, w in self._pass(in_force(before, earlier), at).warnings.items():
                if wid not in warnings:
                    rule = self.catalogue.by_id[w.rule_id]
                    warnings[wid] = withdrawn(w, rule, at, because=r.event.event_id)
        measures = [
            state
            for person, subject_events in final.subjects.items()
            if person is not None
            for state in measure_states(self.measures, person, subject_events, final.obligations)
        ]
        next_at = min((t for t in (final.next_at, future) if t is not None), default=None)
        return CaseResult(list(warnings.values()), next_at, measures)

    def _pass(self, events: list[Envelope], now: datetime) -> _Pass:
        subjects = _by_subject(events)
        result = _Pass({}, {}, subjects, None)
        for person, subject_events in subjects.items():
            self._obligations(person, subject_events, now, result)
            for rule in self.catalogue.violations:
                if rule.check:
                    for hit in CHECKS[rule.check["type"]](rule, subject_events):
                        self._add_violation(hit, result)
        return result

    def _obligations(self, person, events: list[Envelope], now: datetime, out: _Pass) -> None:
        by_trigger = self.catalogue.by_trigger
        for i, trigger in enumerate(events):
            for rule in by_trigger.get(trigger.event_type, ()):
                if rule.case_level != (person is None) or not rule.trigger.matches(trigger):
                    continue
                ob = evaluate_obligation(rule, trigger, events[i + 1 :], now, self.counter)
                out.obligations[(rule.id, trigger.event_id)] = ob
                for hit in ob.violations:
                    self._add_violation(hit, out)
                if ob.raised:
                    w = obligation_warning(ob, ob.due.provisional)
                    out.warnings[w.warning_id] = w
                if ob.next_at is not None and (out.next_at is None or ob.next_at < out.next_at):
                    out.next_at = ob.next_at

    def _add_violation(self, hit: ViolationHit, out: _Pass) -> None:
        w = violation_warning(self.catalogue.by_id[hit.rule_id], hit)
        out.warnings.setdefault(w.warning_id, w)


def _by_subject(events: list[Envelope]) -> dict[str | None, list[Envelope]]:
    """Each person's events with the case-level ones; `None` holds the case-level ones alone."""
    persons = {e.person_id for e in events if e.event_type not in CASE_LEVEL_TYPES}
    subjects: dict[str | None, list[Envelope]] = {p: [] for p in sorted(persons)}
    subjects[None] = []
    for e in events:
        if e.event_type in CASE_LEVEL_TYPES:
            for subject_events in subjects.values():
                subject_events.append(e)
        else:
            subjects[e.person_id].append(e)
    return subjects
