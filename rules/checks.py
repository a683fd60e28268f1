"""Standalone violation checks. The catalogue names a check `type` and gives its parameters.

A check reads one subject's events in force (in order) plus the case-level ones and returns
the violations it finds. Each check type below is the one piece of a violation rule that is
Python rather than data: which event types it reads (`reads`), what it remembers of them
(`start`, a JSON value) and what one more event does (`step`). The engine walks a history
event by event, so a check kept between events continues with the next one; its state is
persisted as it is, so it must stay a small JSON value (ids and RFC 3339 times, not events).
"""

from datetime import datetime, timedelta
from typing import Any, Protocol

from rules.catalogue_model import ViolationRule
from rules.durations import parse_duration
from rules.obligations import ViolationHit, lead_delta
from schemas.event import Envelope

State = Any  # a JSON value: None, str, int, bool, lists and dicts of them


class CheckType(Protocol):
    def reads(self, params: dict) -> frozenset[str]:
        """The event types the check looks at; it never sees the others."""

    def start(self, params: dict) -> State:
        """What it remembers before the first event."""

    def step(self, rule: ViolationRule, state: State,
             event: Envelope) -> tuple[State, list[ViolationHit]]:
        """The next event (of a type it reads): the new state and the violations it raises.
        `state` must not be changed in place (a snapshot may share it)."""


def _ref(event: Envelope) -> list[str]:
    return [event.event_id, event.occurred_at.isoformat()]


class Count:
    """The (max+1)-th and every later event of a type, per subject."""

    def reads(self, params: dict) -> frozenset[str]:
        return frozenset([params["event"]])

    def start(self, params: dict) -> State:
        return []  # the ids seen so far

    def step(self, rule, state, event):
        seen = [*state, event.event_id]
        hits = [ViolationHit(rule.id, event, list(seen))] if len(seen) > rule.check["max"] else []
        return seen, hits


class Approvals:
    """Special cases need an approver in the named role; others enough distinct approvers."""

    def reads(self, params: dict) -> frozenset[str]:
        return frozenset([params["special_flag_event"], *params["events"]])

    def start(self, params: dict) -> State:
        return None  # the first special flag, as [event_id, occurred_at]

    def step(self, rule, state, event):
        params = rule.check
        if event.event_type == params["special_flag_event"]:
            return state or _ref(event), []
        approvals = event.details.approvals
        if state is not None and datetime.fromisoformat(state[1]) < event.occurred_at:
            ok = any(a.role == params["special_requires_role"] for a in approvals)
            evidence = [state[0], event.event_id]
        else:
            ok = len({a.approver_id for a in approvals}) >= params["min_distinct_approvers"]
            evidence = [event.event_id]
        return state, [] if ok else [ViolationHit(rule.id, event, evidence)]


class MinGap:
    """An event too soon after the subject's previous `after` event."""

    def reads(self, params: dict) -> frozenset[str]:
        return frozenset([params["after"], params["event"]])

    def start(self, params: dict) -> State:
        return None  # the previous `after` event, as [event_id, occurred_at]

    def step(self, rule, state, event):
        params = rule.check
        if event.event_type == params["after"]:
            return _ref(event), []
        if state is None:
            return state, []
        gap: timedelta = lead_delta(parse_duration(params["min_gap"]))
        if event.occurred_at - datetime.fromisoformat(state[1]) < gap:
            return state, [ViolationHit(rule.id, event, [state[0], event.event_id])]
        return state, []


CHECKS: dict[str, CheckType] = {
    "count": Count(),
    "approvals": Approvals(),
    "min_gap": MinGap(),
}
