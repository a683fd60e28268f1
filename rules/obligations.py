"""One deadline obligation: opened by a trigger, moved by later events, read at `now`.

The obligation runs through phases: each extension, restart, suspension or resumption ends
one phase and may start another with a new due. For a `started_by` rule the first phase
starts with a later event, not the trigger: until then there is no obligation, and none at
all if a closing event comes first. A phase reaches `approaching` at
due - lead and `overdue` at due; the warning's level is the highest any phase reached.

A `Run` is the walk itself: `advance` applies the next event (in order of legal effect),
`read` gives the obligation as it stands at an instant without changing the walk, so a
walk kept between events continues with the next one (the worker's incremental path) and
a walk over a whole history (`Engine.evaluate_subject`) is the same code.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rules.catalogue_model import DeadlineRule
from rules.durations import Duration
from rules.periods import Due, PeriodCounter
from schemas.enums import Level, Status
from schemas.event import Envelope

CASE_CLOSED = "case_closed"
EXTENSION_AFTER_EXPIRY = "extension_after_expiry"


def lead_delta(lead: Duration) -> timedelta:
    if lead.unit == "months":
        raise ValueError("a lead is counted in hours or days")
    return timedelta(hours=lead.amount) if lead.unit == "hours" else timedelta(days=lead.amount)


@dataclass(slots=True)
class ViolationHit:
    """A violation raised by an event (while it moved an obligation, or by a check)."""

    rule_id: str
    event: Envelope
    evidence: list[str]
    due_at: datetime | None = None
    part: str | None = None  # what it names within the event, when one event may raise several
    fill: dict[str, tuple[str, str]] = field(default_factory=dict)  # message placeholder: (zh, en)


@dataclass(slots=True)
class Obligation:
    rule: DeadlineRule
    trigger: Envelope
    due: Due
    level: Level | None = None
    level_at: datetime | None = None
    status: Status = Status.open
    status_at: datetime | None = None
    late: bool | None = None
    resolved_at: datetime | None = None
    evidence: list[str] = field(default_factory=list)
    violations: list[ViolationHit] = field(default_factory=list)
    next_at: datetime | None = None  # next instant its level changes, while open
    extensions: int = 0  # lawful extensions applied
    moved_at: datetime | None = None  # the last event that changed its due or suspension

    @property
    def raised(self) -> bool:
        return self.level is not None

    @property
    def open_due(self) -> datetime | None:
        """Its due while it is open (a measure's limit), else None."""
        return self.due.at if self.status == Status.open else None

    @property
    def changed_at(self) -> datetime:
        return max(t for t in (self.level_at, self.status_at) if t is not None)


def moved_by(rule: DeadlineRule) -> frozenset[str]:
    """The event types that can close, restart, extend, suspend or resume an obligation of
    `rule` (remembered per rule object: rules are immutable)."""
    held = _MOVED_BY.get(id(rule))
    if held is None or held[0] is not rule:
        types = {CASE_CLOSED, *(m.event for m in (*rule.closed_by, *rule.restarted_by)),
                 *(x.match.event for x in rule.extensions)}
        if rule.suspension is not None:
            types |= {rule.suspension.exempted_by.event, rule.suspension.resumed_by.event}
        held = _MOVED_BY[id(rule)] = (rule, frozenset(types))
    return held[1]


_MOVED_BY: dict[int, tuple[DeadlineRule, frozenset[str]]] = {}


def waiting_for(rule: DeadlineRule) -> frozenset[str]:
    """The event types that start the period of a `started_by` rule, or end it before."""
    return frozenset({CASE_CLOSED, *(m.event for m in (*rule.started_by, *rule.closed_by))})


class Run:
    """The walk of one obligation through the events after its trigger."""

    __slots__ = ("rule", "trigger", "counter", "anchor", "step", "lead", "phase_start",
                 "suspended_at", "ob", "moves", "ended", "waiting", "closing_ends")

    def __init__(self, rule: DeadlineRule, trigger: Envelope, counter: PeriodCounter):
        self.rule, self.trigger, self.counter = rule, trigger, counter
        self.ended = False
        # the case's closing ends it, unless it is what starts the period
        self.closing_ends = not any(m.event == CASE_CLOSED for m in rule.started_by)
        self.waiting = bool(rule.started_by)  # for its period's start: no obligation yet
        self.ob: Obligation | None = None
        if self.waiting:
            self.moves = waiting_for(rule)
        else:
            self._begin(trigger)

    def _begin(self, start: Envelope) -> None:
        """The first phase, from the trigger or the event that started the period."""
        rule, trigger = self.rule, self.trigger
        self.anchor = self.phase_start = start.occurred_at
        self.step = 0
        self.lead = lead_delta(rule.lead)
        self.suspended_at: datetime | None = None
        evidence = [trigger.event_id] if start is trigger else [trigger.event_id, start.event_id]
        self.ob = Obligation(rule, trigger, self._count(rule.period), evidence=evidence,
                             moved_at=start.occurred_at)
        self.moves = moved_by(rule)
        self.waiting = False

    def _count(self, period: Duration) -> Due:
        return self.counter.due(self.anchor, period, self.rule.holiday_extends)

    # ------------------------------------------------------------------ the walk

    def advance(self, event: Envelope) -> bool:
        """Apply the next event in force after the trigger (in order of legal effect);
        true if it changed the obligation (a violation it raises alone changes nothing)."""
        if self.ended or event.event_type not in self.moves:
            return False  # no part of the rule reads it: nothing below would change
        rule, trigger = self.rule, self.trigger
        if self.waiting:
            if any(m.matches(event, trigger) for m in rule.started_by):
                self._begin(event)
                return True
            if event.event_type == CASE_CLOSED or any(
                    m.matches(event, trigger) for m in rule.closed_by):
                self.ended = True  # nothing was left to do before its period started
            return False
        before = len(self.ob.evidence)  # every change of the walk adds its event
        if event.event_type == CASE_CLOSED and self.closing_ends:
            self._end(event, Status.withdrawn)
        elif any(m.matches(event, trigger) for m in rule.closed_by):
            self._end(event, Status.resolved)
        else:
            if any(m.matches(event, trigger) for m in rule.restarted_by):
                self._restart(event)
            elif rule.extensions:
                self._extend(event)
            if rule.suspension is not None:
                self._suspend_or_resume(event)
        return len(self.ob.evidence) != before

    def _reach(self, ob: Obligation, until: datetime, inclusive: bool) -> None:
        """Record in `ob` the levels the running phase reached by `until`.

        A phase still running at `now` has reached an instant equal to `now`; a phase ended
        by an event at `until` was unsatisfied only before it, so `until` itself is excluded.
        """
        if self.suspended_at is not None:
            return
        due = ob.due.at
        for level, at in ((Level.approaching, due - self.lead), (Level.overdue, due)):
            reached = at <= until if inclusive else at < until
            if reached and ob.level != Level.overdue and ob.level != level:
                ob.level, ob.level_at = level, max(at, self.phase_start)

    def _new_phase(self, event: Envelope, due: Due, lead: timedelta) -> None:
        self._reach(self.ob, event.occurred_at, inclusive=False)
        self.ob.due, self.phase_start, self.lead = due, event.occurred_at, lead
        self.ob.evidence.append(event.event_id)
        self.ob.moved_at = event.occurred_at

    def _violation(self, rule_id: str, event: Envelope) -> None:
        evidence = [self.trigger.event_id, event.event_id]
        self.ob.violations.append(ViolationHit(rule_id, event, evidence, self.ob.due.at))

    def _extend(self, event: Envelope) -> None:
        """Several extensions matching one event are successive steps: the next one applies."""
        matching = [x for x in self.rule.extensions if x.match.matches(event, self.trigger)]
        if not matching or self.suspended_at is not None:
            return
        ext = next((x for x in matching if x.step in (None, self.step + 1)), matching[0])
        if event.occurred_at > self.ob.due.at:
            self._violation(EXTENSION_AFTER_EXPIRY, event)
        elif ext.requires is not None and not ext.requires.met_by(self.trigger):
            self._violation(ext.unmet_violation, event)
        elif ext.step is not None and ext.step != self.step + 1:
            if self.rule.order_violation is not None:
                self._violation(self.rule.order_violation, event)
        else:
            self.step = ext.step or self.step
            lead = lead_delta(ext.lead or self.rule.lead)
            self._new_phase(event, self._count(ext.period), lead)
            self.ob.extensions += 1

    def _restart(self, event: Envelope) -> None:
        self.anchor, self.step = event.occurred_at, 0
        self._new_phase(event, self._count(self.rule.period), lead_delta(self.rule.lead))

    def _suspend_or_resume(self, event: Envelope) -> None:
        susp = self.rule.suspension
        if susp.exempted_by.matches(event, self.trigger):
            if str(event.details.reason) not in susp.lawful_reasons:
                self._violation(susp.invalid_violation, event)
            elif self.suspended_at is None and event.occurred_at <= self.ob.due.at:
                self._reach(self.ob, event.occurred_at, inclusive=False)
                self.suspended_at = event.occurred_at
                self.ob.evidence.append(event.event_id)
                self.ob.moved_at = event.occurred_at
        elif susp.resumed_by.matches(event, self.trigger) and self.suspended_at is not None:
            self.suspended_at = None  # nothing ran while suspended: start afresh
            self.ob.due = self.counter.due(event.occurred_at, susp.resume_period,
                                          self.rule.holiday_extends)
            self.phase_start = event.occurred_at
            self.ob.evidence.append(event.event_id)
            self.ob.moved_at = event.occurred_at

    def _end(self, event: Envelope, status: Status) -> None:
        self._reach(self.ob, event.occurred_at, inclusive=False)
        ob = self.ob
        overdue = self.suspended_at is None and event.occurred_at > ob.due.at
        if status == Status.withdrawn and overdue:
            status = Status.resolved  # a case closed after the due resolves it, late
        ob.status, ob.status_at = status, event.occurred_at
        if status == Status.resolved:
            ob.late, ob.resolved_at = overdue, event.occurred_at
        ob.evidence.append(event.event_id)
        self.ended = True

    # ------------------------------------------------------------------ reading

    def read(self, now: datetime) -> Obligation | None:
        """The obligation at `now` (after every event the walk has applied, none after
        `now`), or None while its period has not started; the walk is left as it was."""
        if self.ob is None:
            return None
        if self.ended:
            return self.ob  # final: the walk never changes it again
        o = self.ob
        ob = Obligation(o.rule, o.trigger, o.due, o.level, o.level_at, o.status, o.status_at,
                        o.late, o.resolved_at, list(o.evidence), o.violations, None,
                        o.extensions, o.moved_at)
        self._reach(ob, now, inclusive=True)
        if self.suspended_at is not None:
            # A lawful exemption stands in for the notice until it ends.
            ob.status, ob.status_at = Status.resolved, self.suspended_at
            ob.late, ob.resolved_at = False, self.suspended_at
            return ob
        upcoming = [t for t in (ob.due.at - self.lead, ob.due.at) if t > now]
        ob.next_at = min(upcoming) if upcoming else None
        return ob

