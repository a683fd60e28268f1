"""What a proposed rule set changes: which rules, which cases can feel it, and of each
warning what (`casewatch whatif`).

A rule's warnings depend on that rule and the case's events only, with one exception: a
violation that several rules may raise on the same event (`extension_after_expiry` raised
by two rules extended by the same event type, a check and a deadline rule naming the same
violation) has one warning id whoever raises it, and the first raiser wins. So the rules in
scope are the changed ones, closed over whoever may raise the same violation on the same
event type; both rule sets are evaluated with only those rules (and the violation entries
they raise), which gives exactly their warnings. Those rules read only some event types
(their triggers, closing, extending, restarting and exempting events, the types their
checks name, `case_closed`, and retractions); the other events are left out, and a case
without an event those rules start from (a trigger, or an event type a check names)
cannot change at all. The same holds of each subject of a case (a person, or the case
itself: `rules.engine.subjects_of`), whose warnings rest on its own events and the case-level
ones only: a subject without such an event is not evaluated. A changed calendar changes
every rule.
"""

from dataclasses import dataclass
from datetime import datetime

from rules.catalogue import Catalogue
from rules.catalogue_model import DeadlineRule, Rule
from rules.checks import check_events
from rules.engine import Engine, merge, subject_events, subjects_of
from rules.history import RETRACTION, ordered_unique
from rules.obligations import CASE_CLOSED, EXTENSION_AFTER_EXPIRY
from rules.ruleset import RuleSet
from schemas.event import Envelope
from schemas.warning import Warning

ADDED, REMOVED, RETIMED, RELEVELLED, OTHER = "added", "removed", "retimed", "relevelled", "other"
CHANGES = (ADDED, REMOVED, RETIMED, RELEVELLED, OTHER)
#: Compared besides due_at and level; catalogue_version always differs and is not.
OTHER_FIELDS = ("status", "late", "resolved_at", "changed_at", "evidence", "basis",
                "message_zh", "message_en", "calendar_provisional", "rule_kind", "unit_id")


def raises(rule: Rule) -> set[tuple[str, str]]:
    """(violation rule id, event type) of every violation the rule may raise, and on what
    event: a deadline rule on its extensions and exemptions, a check on the types it names."""
    if not isinstance(rule, DeadlineRule):
        return {(rule.id, t) for t in starting_types(rule)} if rule.check else set()
    out = set()
    for ext in rule.extensions:
        on = ext.match.event
        out |= {(v, on) for v in (EXTENSION_AFTER_EXPIRY, ext.unmet_violation,
                                  ext.step is not None and rule.order_violation) if v}
    if rule.suspension is not None:
        out.add((rule.suspension.invalid_violation, rule.suspension.exempted_by.event))
    return out


def starting_types(rule: Rule) -> set[str]:
    """Event types without which the rule raises nothing in a case: a deadline rule's
    trigger; those a check fires on."""
    if isinstance(rule, DeadlineRule):
        return {rule.trigger.event}
    return set(check_events(rule.check)[0]) if rule.check else set()


def read_types(rule: Rule) -> set[str]:
    """Every event type the rule's evaluation reads (besides case_closed and retractions)."""
    if not isinstance(rule, DeadlineRule):
        return set(check_events(rule.check)[1]) if rule.check else set()
    matches = [rule.trigger, *rule.closed_by, *rule.restarted_by, *rule.started_by,
               *(e.match for e in rule.extensions)]
    if rule.suspension is not None:
        matches += [rule.suspension.exempted_by, rule.suspension.resumed_by]
    return {m.event for m in matches}


@dataclass(frozen=True)
class RuleSetDiff:
    changed: tuple[str, ...]  # rule ids whose entry differs, was added or removed
    calendar_changed: bool
    scope: frozenset[str]  # the rules evaluated: changed, closed over shared violations
    current: Engine  # each with the rules in scope only, no measures
    proposed: Engine
    event_types: frozenset[str]  # a case without any of these changes nothing
    reads: frozenset[str]  # the event types the rules in scope read

    def concerns(self, event_types) -> bool:
        return not self.event_types.isdisjoint(event_types)

    def read(self, events: list[Envelope]) -> list[Envelope]:
        """The events the rules in scope read: their warnings are the same from these."""
        return [e for e in events if e.event_type in self.reads]

    def evaluate(self, events: list[Envelope], now: datetime) -> tuple[dict[str, Warning], ...]:
        """A case's warnings under the current and the proposed rules in scope, by id: the
        same as each engine's `evaluate_case` over the whole case, from only the subjects
        those rules may start on (the others raise nothing under either)."""
        everything = ordered_unique(self.read(events))
        own = {s: subject_events(everything, s) for s in subjects_of(everything)}
        subjects = [s for s, its in own.items() if self.concerns({e.event_type for e in its})]
        return tuple({w.warning_id: w for w in merge(
            [engine.evaluate_subject(own[s], s, now) for s in subjects]).warnings}
            for engine in (self.current, self.proposed))


def diff_rulesets(current: RuleSet, proposed: RuleSet) -> RuleSetDiff:
    old, new = current.catalogue.by_id, proposed.catalogue.by_id
    changed = sorted(i for i in old.keys() | new.keys() if old.get(i) != new.get(i))
    calendar_changed = not current.calendar.counts_like(proposed.calendar)
    scope = set(old.keys() | new.keys()) if calendar_changed else set(changed)
    rules = [*old.values(), *new.values()]
    while True:  # close over whoever may raise the same violation on the same event type
        raised = {pair for r in rules if r.id in scope for pair in raises(r)}
        grown = scope | {r.id for r in rules
                         if raises(r) & raised or any(v in scope for v, _ in raises(r))}
        if grown == scope:
            break
        scope = grown
    engines = [_engine(c, scope) for c in (current, proposed)]
    entries = [r for e in engines for r in (*e.catalogue.deadlines, *e.catalogue.violations)]
    types = {t for r in entries for t in starting_types(r)}
    reads = {CASE_CLOSED, RETRACTION, *(t for r in entries for t in read_types(r))}
    return RuleSetDiff(tuple(changed), calendar_changed, frozenset(scope), *engines,
                       frozenset(types), frozenset(reads))


def _engine(rules: RuleSet, scope: set[str]) -> Engine:
    """The rule set with the rules in scope only, and the violation entries they raise."""
    c = rules.catalogue
    deadlines = tuple(r for r in c.deadlines if r.id in scope)
    entries = scope | {v for r in deadlines for v, _ in raises(r)}
    part = Catalogue(deadlines, tuple(r for r in c.violations if r.id in entries), c.version)
    return Engine(part, rules.calendar, measures=())


def changes(before: Warning | None, after: Warning | None) -> tuple[str, ...]:
    """What the proposed rule set does to a warning: () when nothing but the version."""
    if before is None:
        return (ADDED,) if after is not None else ()
    if after is None:
        return (REMOVED,)
    out = tuple(name for name, differs in ((RETIMED, before.due_at != after.due_at),
                                           (RELEVELLED, before.level != after.level)) if differs)
    if out:
        return out
    return (OTHER,) if changed_fields(before, after) else ()


def changed_fields(before: Warning, after: Warning) -> list[str]:
    return [f for f in ("due_at", "level", *OTHER_FIELDS)
            if getattr(before, f) != getattr(after, f)]


def in_window(w: Warning | None, since: datetime | None) -> bool:
    """Whether the warning's due or its last change falls at or after `since`."""
    if w is None:
        return False
    return since is None or w.changed_at >= since or (w.due_at is not None and w.due_at >= since)
