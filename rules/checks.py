"""Standalone violation checks. The catalogue names a check `type` and gives its parameters.

A check reads one subject's events in force (in order) plus the case-level ones and returns
the violations it finds. Each check type below is the one piece of a violation rule that is
Python rather than data: which event types it reads (`reads`), what it remembers of them
(`start`, a JSON value) and what one more event does (`step`). The engine walks a history
event by event, so a check kept between events continues with the next one; its state is
persisted as it is, so it must stay a small JSON value (ids and RFC 3339 times, not events).

A verdict on an event may rest on events of the same instant that come after it in order
(a document filed at the very instant of the stage that needs it): the step of such a later
event takes back what it disproves (`taken_back`); events of later instants never do.
"""

from datetime import datetime, timedelta
from typing import Any, Protocol

from rules.catalogue_model import ViolationRule
from rules.durations import parse_duration
from rules.obligations import ViolationHit, lead_delta
from schemas.document_types import DOCUMENT_TYPES
from schemas.event import Envelope
from schemas.event_types import EVENT_TYPES

DOCUMENT_FILED = "document_filed"

State = Any  # a JSON value: None, str, int, bool, lists and dicts of them
#: A violation taken back: (event_id, person_id, part) of a hit the check raised before.
TakenBack = tuple[str, str | None, str | None]


class CheckType(Protocol):
    def reads(self, params: dict) -> frozenset[str]:
        """The event types the check looks at; it never sees the others."""

    def start(self, params: dict) -> State:
        """What it remembers before the first event."""

    def step(self, rule: ViolationRule, state: State,
             event: Envelope) -> tuple[State, list[ViolationHit], list[TakenBack]]:
        """The next event (of a type it reads): the new state, the violations it raises and
        those of the same instant it takes back. `state` must not be changed in place (a
        snapshot may share it)."""


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
        return seen, hits, []


class Approvals:
    """Special cases need an approver in the named role; others enough distinct approvers."""

    def reads(self, params: dict) -> frozenset[str]:
        return frozenset([params["special_flag_event"], *params["events"]])

    def start(self, params: dict) -> State:
        return None  # the first special flag, as [event_id, occurred_at]

    def step(self, rule, state, event):
        params = rule.check
        if event.event_type == params["special_flag_event"]:
            return state or _ref(event), [], []
        approvals = event.details.approvals
        if state is not None and datetime.fromisoformat(state[1]) < event.occurred_at:
            ok = any(a.role == params["special_requires_role"] for a in approvals)
            evidence = [state[0], event.event_id]
        else:
            ok = len({a.approver_id for a in approvals}) >= params["min_distinct_approvers"]
            evidence = [event.event_id]
        return state, [] if ok else [ViolationHit(rule.id, event, evidence)], []


class MinGap:
    """An event too soon after the subject's previous `after` event."""

    def reads(self, params: dict) -> frozenset[str]:
        return frozenset([params["after"], params["event"]])

    def start(self, params: dict) -> State:
        return None  # the previous `after` event, as [event_id, occurred_at]

    def step(self, rule, state, event):
        params = rule.check
        if event.event_type == params["after"]:
            return _ref(event), [], []
        if state is None:
            return state, [], []
        gap: timedelta = lead_delta(parse_duration(params["min_gap"]))
        if event.occurred_at - datetime.fromisoformat(state[1]) < gap:
            return state, [ViolationHit(rule.id, event, [state[0], event.event_id])], []
        return state, [], []


class Checklist:
    """At each stage event, every document its stage lists must have been filed for the
    subject (`document_filed`, at or before the stage's instant); one violation per
    document missing, naming it."""

    def reads(self, params: dict) -> frozenset[str]:
        return frozenset([DOCUMENT_FILED, *(s["event"] for s in params["stages"])])

    def start(self, params: dict) -> State:
        # the documents filed; the instant of the latest stages and, per stage event there,
        # [event_id, person_id, the documents it found missing]
        return {"filed": [], "at": None, "held": []}

    def step(self, rule, state, event):
        at = state["at"]
        same = at is not None and datetime.fromisoformat(at) == event.occurred_at
        if event.event_type == DOCUMENT_FILED:
            doc = str(event.details.doc_type)
            back, held = [], state["held"]
            if same:  # a document of the stages' very instant: they did not lack it
                back = [(sid, pid, doc) for sid, pid, missing in held if doc in missing]
                held = [[sid, pid, [m for m in missing if m != doc]]
                        for sid, pid, missing in held]
            return {"filed": sorted({*state["filed"], doc}), "at": at, "held": held}, [], back
        stage = {s["event"]: s for s in rule.check["stages"]}[event.event_type]
        missing = [code for code in stage["documents"] if code not in state["filed"]]
        named = (EVENT_TYPES[event.event_type].label_zh, stage["label_en"])
        hits = [ViolationHit(rule.id, event, [event.event_id], part=code, fill={
            "document": (DOCUMENT_TYPES[code].label_zh, DOCUMENT_TYPES[code].label_en),
            "stage": named}) for code in missing]
        held = [*state["held"], [event.event_id, event.person_id, missing]] if same else [
            [event.event_id, event.person_id, missing]]
        return ({"filed": state["filed"], "at": event.occurred_at.isoformat(), "held": held},
                hits, [])


CHECKS: dict[str, CheckType] = {
    "count": Count(),
    "approvals": Approvals(),
    "min_gap": MinGap(),
    "checklist": Checklist(),
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
