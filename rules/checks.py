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
from schemas.document_types import DOCUMENT_TYPES
from schemas.event import Envelope
from schemas.event_types import EVENT_TYPES

DOCUMENT_FILED = "document_filed"

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


def checklist_check(rule: ViolationRule, events: list[Envelope]) -> list[ViolationHit]:
    """At each stage event, every document its stage lists must have been filed for the
    subject (`document_filed`, at or before the stage's instant); one violation per
    document missing, naming it."""
    stages = {s["event"]: s for s in rule.check["stages"]}
    hits = []
    for event in events:
        stage = stages.get(event.event_type)
        if stage is None:
            continue
        filed = {e.details.doc_type for e in events
                 if e.event_type == DOCUMENT_FILED and e.occurred_at <= event.occurred_at}
        named = (EVENT_TYPES[event.event_type].label_zh, stage["label_en"])
        for code in stage["documents"]:
            if code not in filed:
                doc = DOCUMENT_TYPES[code]
                hits.append(ViolationHit(rule.id, event, [event.event_id], part=code, fill={
                    "document": (doc.label_zh, doc.label_en), "stage": named}))
    return hits


CHECKS: dict[str, Check] = {
    "count": count_check,
    "approvals": approvals_check,
    "min_gap": min_gap_check,
    "checklist": checklist_check,
}


def check_events(check: dict) -> tuple[frozenset[str], frozenset[str]]:
    """(the event types a check fires on, every event type it reads), from its parameters:
    what lets `casewatch whatif` give a check only the events it needs (rules/ruleset_diff.py)."""
    kind = check["type"]
    if kind == "checklist":
        fires = frozenset(s["event"] for s in check["stages"])
        return fires, fires | {DOCUMENT_FILED}
    if kind == "approvals":
        fires = frozenset(check["events"])
        return fires, fires | {check["special_flag_event"]}
    if kind in ("count", "min_gap"):
        fires = frozenset([check["event"]])
        return fires, fires | ({check["after"]} if kind == "min_gap" else set())
    raise ValueError(f"check type {kind!r}: the events it reads are not known")


def validate_check(check: dict) -> None:
    """Refuse a check the engine could not run: an unknown type, or a checklist naming an
    event or a document the contract does not know."""
    if check["type"] not in CHECKS:
        raise ValueError(f"unknown check type {check['type']!r}")
    if check["type"] != "checklist":
        return
    if not check["stages"]:
        raise ValueError("a checklist needs at least one stage")
    for stage in check["stages"]:
        t = EVENT_TYPES.get(stage["event"])
        if t is None or t.case_level:
            raise ValueError(f"checklist stage {stage['event']!r} is not a person-level event")
        unknown = set(stage["documents"]) - set(DOCUMENT_TYPES)
        if unknown or not stage["documents"] or not stage["label_en"]:
            raise ValueError(f"checklist stage {stage['event']!r}: documents must be listed "
                             f"doc_types, a label_en given (unknown: {sorted(unknown)})")
