"""Standalone violation checks. The catalogue names a check `type` and gives its parameters.

A check reads one subject's events in force (in order) plus the case-level ones and returns
the violations it finds. Each check type below is the one piece of a violation rule that is
Python rather than data: how to read the parameters.
"""

from collections.abc import Callable
from datetime import timedelta

from rules.catalogue_model import ViolationRule
from rules.durations import parse_duration
from rules.obligations import ViolationHit, lead_delta
from schemas.event import Envelope

Check = Callable[[ViolationRule, list[Envelope]], list[ViolationHit]]


def count_check(rule: ViolationRule, events: list[Envelope]) -> list[ViolationHit]:
    """The (max+1)-th and every later event of a type, per subject."""
    seen: list[str] = []
    hits = []
    for event in events:
        if event.event_type != rule.check["event"]:
            continue
        seen.append(event.event_id)
        if len(seen) > rule.check["max"]:
            hits.append(ViolationHit(rule.id, event, list(seen)))
    return hits


def approvals_check(rule: ViolationRule, events: list[Envelope]) -> list[ViolationHit]:
    """Special cases need an approver in the named role; others enough distinct approvers."""
    params = rule.check
    flag = None
    hits = []
    for event in events:
        if event.event_type == params["special_flag_event"]:
            flag = flag or event
            continue
        if event.event_type not in params["events"]:
            continue
        approvals = event.details.approvals
        if flag is not None and flag.occurred_at < event.occurred_at:
            ok = any(a.role == params["special_requires_role"] for a in approvals)
            evidence = [flag.event_id, event.event_id]
        else:
            ok = len({a.approver_id for a in approvals}) >= params["min_distinct_approvers"]
            evidence = [event.event_id]
        if not ok:
            hits.append(ViolationHit(rule.id, event, evidence))
    return hits


def min_gap_check(rule: ViolationRule, events: list[Envelope]) -> list[ViolationHit]:
    """An event too soon after the subject's previous `after` event."""
    params = rule.check
    gap: timedelta = lead_delta(parse_duration(params["min_gap"]))
    previous = None
    hits = []
    for event in events:
        if event.event_type == params["after"]:
            previous = event
        elif event.event_type == params["event"] and previous is not None:
            if event.occurred_at - previous.occurred_at < gap:
                hits.append(ViolationHit(rule.id, event, [previous.event_id, event.event_id]))
    return hits


CHECKS: dict[str, Check] = {
    "count": count_check,
    "approvals": approvals_check,
    "min_gap": min_gap_check,
}
