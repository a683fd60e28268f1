"""The catalogue's entries as typed objects, read from the TOML files in `catalogue/`."""

from dataclasses import dataclass, field
from typing import Any, Literal

from rules.durations import Duration
from schemas.event_types import CASE_LEVEL_TYPES

RuleKind = Literal["statutory", "policy"]


@dataclass(frozen=True, slots=True)
class Match:
    """An event type, optionally with required values in `details`, and details fields that
    must equal the trigger's (`same`: the hand-over of the very item that was seized)."""

    event: str
    where: tuple[tuple[str, Any], ...] = ()
    same: tuple[str, ...] = ()

    def matches(self, event, trigger=None) -> bool:
        """`trigger`: the obligation's trigger, needed when `same` names fields."""
        if event.event_type != self.event:
            return False
        details = event.details
        if not all(getattr(details, key, None) == value for key, value in self.where):
            return False
        return all(getattr(details, f) == getattr(trigger.details, f) for f in self.same)


@dataclass(frozen=True, slots=True)
class Requirement:
    """A condition on the trigger's details that an extension needs to be lawful."""

    trigger_field: str
    any_of: frozenset[str]

    def met_by(self, trigger) -> bool:
        values = getattr(trigger.details, self.trigger_field, None) or ()
        return any(str(v) in self.any_of for v in values)


@dataclass(frozen=True, slots=True)
class Extension:
    match: Match
    period: Duration  # the whole period, counted from the anchor
    lead: Duration | None = None  # replaces the rule's lead when given
    step: int | None = None  # position in the rule's extension order
    requires: Requirement | None = None
    unmet_violation: str | None = None


@dataclass(frozen=True, slots=True)
class Suspension:
    exempted_by: Match
    resumed_by: Match
    lawful_reasons: frozenset[str]
    resume_period: Duration
    invalid_violation: str


@dataclass(frozen=True, slots=True)
class LegalBasis:
    ref: str
    text_zh: str
    law: str | None = None  # file under docs/law the sentence is quoted from


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: RuleKind
    title_zh: str
    title_en: str
    basis: tuple[LegalBasis, ...]
    message_zh: str  # at every level that has no message of its own below
    message_en: str
    #: (level, zh, en): the message at that level (`[message.overdue]` in the rule file)
    level_messages: tuple[tuple[str, str, str], ...] = field(default=(), kw_only=True)

    def message(self, level: str) -> tuple[str, str]:
        """The (Chinese, English) message template at `level`."""
        for at, zh, en in self.level_messages:
            if at == level:
                return zh, en
        return self.message_zh, self.message_en


@dataclass(frozen=True, slots=True)
class DeadlineRule(Rule):
    trigger: Match
    period: Duration
    lead: Duration
    holiday_extends: bool
    closed_by: tuple[Match, ...]
    extensions: tuple[Extension, ...] = ()
    restarted_by: tuple[Match, ...] = ()
    order_violation: str | None = None  # without it, an out-of-order extension extends nothing
    suspension: Suspension | None = None
    # The period runs from the first of these after the trigger, not from the trigger; until
    # then the obligation has no due (and none at all if a closing event comes first).
    started_by: tuple[Match, ...] = ()

    @property
    def case_level(self) -> bool:
        return self.trigger.event in CASE_LEVEL_TYPES


@dataclass(frozen=True, slots=True)
class ViolationRule(Rule):
    check: dict[str, Any] = field(default_factory=dict)  # empty: raised by deadline rules
    raised_by: str | None = None
