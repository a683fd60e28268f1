"""One deadline obligation: opened by a trigger, moved by later events, read at `now`.

The obligation runs through phases: each extension, restart, suspension or resumption ends
one phase and may start another with a new due. A phase reaches `approaching` at
due - lead and `overdue` at due; the warning's level is the highest any phase reached.
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

    @property
    def raised(self) -> bool:
        return self.level is not None

    @property
    def changed_at(self) -> datetime:
        return max(t for t in (self.level_at, self.status_at) if t is not None)


class _Run:
    """The mutable walk of one obligation through the events after its start (the trigger,
    or for a `started_by` rule the event that started the period)."""

    def __init__(self, rule: DeadlineRule, trigger: Envelope, counter: PeriodCounter,
                 start: Envelope):
        self.rule, self.trigger, self.counter = rule, trigger, counter
        self.anchor = start.occurred_at
        self.step = 0
        self.lead = lead_delta(rule.lead)
        self.phase_start = start.occurred_at
        self.suspended_at: datetime | None = None
        evidence = [trigger.event_id] if start is trigger else [trigger.event_id, start.event_id]
        self.ob = Obligation(rule, trigger, self._count(rule.period), evidence=evidence)

    def _count(self, period: Duration) -> Due:
        return self.counter.due(self.anchor, period, self.rule.holiday_extends)

    def reach(self, until: datetime, inclusive: bool) -> None:
        """Record the levels the running phase reached by `until`.

        A phase still running at `now` has reached an instant equal to `now`; a phase ended
        by an event at `until` was unsatisfied only before it, so `until` itself is excluded.
        """
        if self.suspended_at is not None:
            return
        due = self.ob.due.at
        for level, at in ((Level.approaching, due - self.lead), (Level.overdue, due)):
            reached = at <= until if inclusive else at < until
            if reached and self.ob.level != Level.overdue and self.ob.level != level:
                self.ob.level, self.ob.level_at = level, max(at, self.phase_start)

    def new_phase(self, event: Envelope, due: Due, lead: timedelta) -> None:
        self.reach(event.occurred_at, inclusive=False)
        self.ob.due, self.phase_start, self.lead = due, event.occurred_at, lead
        self.ob.evidence.append(event.event_id)

    def violation(self, rule_id: str, event: Envelope) -> None:
        evidence = [self.trigger.event_id, event.event_id]
        self.ob.violations.append(ViolationHit(rule_id, event, evidence, self.ob.due.at))

    def extend(self, event: Envelope) -> None:
        """Several extensions matching one event are successive steps: the next one applies."""
        matching = [x for x in self.rule.extensions if x.match.matches(event, self.trigger)]
        if not matching or self.suspended_at is not None:
            return
        ext = next((x for x in matching if x.step in (None, self.step + 1)), matching[0])
        if event.occurred_at > self.ob.due.at:
            self.violation(EXTENSION_AFTER_EXPIRY, event)
        elif ext.requires is not None and not ext.requires.met_by(self.trigger):
            self.violation(ext.unmet_violation, event)
        elif ext.step is not None and ext.step != self.step + 1:
            if self.rule.order_violation is not None:
                self.violation(self.rule.order_violation, event)
        else:
            self.step = ext.step or self.step
            lead = lead_delta(ext.lead or self.rule.lead)
            self.new_phase(event, self._count(ext.period), lead)

    def restart(self, event: Envelope) -> None:
        self.anchor, self.step = event.occurred_at, 0
        self.new_phase(event, self._count(self.rule.period), lead_delta(self.rule.lead))

    def suspend_or_resume(self, event: Envelope) -> None:
        susp = self.rule.suspension
        if susp.exempted_by.matches(event, self.trigger):
            if str(event.details.reason) not in susp.lawful_reasons:
                self.violation(susp.invalid_violation, event)
            elif self.suspended_at is None and event.occurred_at <= self.ob.due.at:
                self.reach(event.occurred_at, inclusive=False)
                self.suspended_at = event.occurred_at
                self.ob.evidence.append(event.event_id)
        elif susp.resumed_by.matches(event, self.trigger) and self.suspended_at is not None:
            self.suspended_at = None  # nothing ran while suspended: start afresh
            self.ob.due = self.counter.due(event.occurred_at, susp.resume_period,
                                          self.rule.holiday_extends)
            self.phase_start = event.occurred_at
            self.ob.evidence.append(event.event_id)

    def end(self, event: Envelope, status: Status) -> None:
        self.reach(event.occurred_at, inclusive=False)
        ob = self.ob
        overdue = self.suspended_at is None and event.occurred_at > ob.due.at
        if status == Status.withdrawn and overdue:
            status = Status.resolved  # a case closed after the due resolves it, late
        ob.status, ob.status_at = status, event.occurred_at
        if status == Status.resolved:
            ob.late, ob.resolved_at = overdue, event.occurred_at
        ob.evidence.append(event.event_id)

    def still_open(self, now: datetime) -> None:
        self.reach(now, inclusive=True)
        ob = self.ob
        if self.suspended_at is not None:
            # A lawful exemption stands in for the notice until it ends.
            ob.status, ob.status_at = Status.resolved, self.suspended_at
            ob.late, ob.resolved_at = False, self.suspended_at
            return
        upcoming = [t for t in (ob.due.at - self.lead, ob.due.at) if t > now]
        ob.next_at = min(upcoming) if upcoming else None


_MOVED_BY: dict[int, tuple[DeadlineRule, frozenset[str]]] = {}


def _moved_by(rule: DeadlineRule) -> frozenset[str]:
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


def _started(rule: DeadlineRule, trigger: Envelope, later: list[Envelope]):
    """For a `started_by` rule: the event that starts the period and the events after it;
    None while none has come, or when a closing event (or the case's closing, unless it is
    itself a start) came first: nothing is left to do."""
    for i, event in enumerate(later):
        if any(m.matches(event, trigger) for m in rule.started_by):
            return event, later[i + 1:]
        if event.event_type == CASE_CLOSED or any(
                m.matches(event, trigger) for m in rule.closed_by):
            return None
    return None


def evaluate_obligation(
    rule: DeadlineRule,
    trigger: Envelope,
    later: list[Envelope],
    now: datetime,
    counter: PeriodCounter,
) -> Obligation | None:
    """`later`: the subject's events in force after the trigger, in order, none after `now`.

    None for a `started_by` rule whose period has not started: no obligation (yet).
    """
    start = trigger
    if rule.started_by:
        started = _started(rule, trigger, later)
        if started is None:
            return None
        start, later = started
    run = _Run(rule, trigger, counter, start)
    moves = _moved_by(rule)
    closing_ends = not any(m.event == CASE_CLOSED for m in rule.started_by)
    for event in later:
        if event.event_type not in moves:
            continue  # no part of the rule reads it: nothing below would change
        if event.event_type == CASE_CLOSED and closing_ends:
            run.end(event, Status.withdrawn)
            return run.ob
        if any(m.matches(event, trigger) for m in rule.closed_by):
            run.end(event, Status.resolved)
            return run.ob
        if any(m.matches(event, trigger) for m in rule.restarted_by):
            run.restart(event)
        elif rule.extensions:
            run.extend(event)
        if rule.suspension is not None:
            run.suspend_or_resume(event)
    run.still_open(now)
    return run.ob
