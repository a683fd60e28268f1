"""warning_id stability and escalation in place (rules.md "Words"; evaluate.md).

One obligation is one warning: same id at every `now`, its level the highest reached;
identity (rule_id, case_id, person_id, trigger event_id); a violation's identity is its
offending event.
"""

import random

import pytest
from rulekit import MIN, MON, RULES, Case, RuleCase, h

from rules.ids import warning_id

ALL = pytest.mark.parametrize("rc", list(RULES.values()), ids=list(RULES))


@ALL
def test_same_obligation_same_id_while_it_escalates_and_resolves(rc: RuleCase):
    case = rc.open_case()
    rc.close(case, rc.due_at + h(1))
    seen = []
    for now in (rc.lead_opens, rc.due_at - MIN, rc.due_at, rc.due_at + h(2)):
        (w,) = case.warnings(now, rc.rule_id)  # exactly one warning per obligation
        seen.append((w.warning_id, w.level, w.status, w.changed_at))
    expected_id = warning_id(rc.rule_id, "C1", rc.person, "trg")
    assert seen == [
        (expected_id, "approaching", "open", rc.lead_opens),
        (expected_id, "approaching", "open", rc.lead_opens),
        (expected_id, "overdue", "open", rc.due_at),
        (expected_id, "overdue", "resolved", rc.due_at + h(1)),
    ]


def test_warning_id_is_the_identity_tuple():
    assert warning_id("det_family_notice", "C1", "P1", "e1") == warning_id(
        "det_family_notice", "C1", "P1", "e1")
    variants = {
        warning_id("det_family_notice", "C1", "P1", "e1"),
        warning_id("det_first_interrogation", "C1", "P1", "e1"),
        warning_id("det_family_notice", "C2", "P1", "e1"),
        warning_id("det_family_notice", "C1", "P2", "e1"),
        warning_id("det_family_notice", "C1", None, "e1"),
        warning_id("det_family_notice", "C1", "P1", "e2"),
    }
    assert len(variants) == 6


def test_two_detentions_of_one_person_are_two_warnings():
    case = Case()
    case.add("detained", MON, event_id="d1")
    case.add("released", "2026-05-11T12:00:00+08:00")
    case.add("detained", "2026-05-11T14:00:00+08:00", event_id="d2")
    found = case.warnings("2026-05-13T00:00:00+08:00", "det_family_notice")
    assert {w.warning_id for w in found} == {
        warning_id("det_family_notice", "C1", "P1", "d1"),
        warning_id("det_family_notice", "C1", "P1", "d2"),
    }


def test_case_level_rule_has_no_person_in_its_identity():
    rc = RULES["adm_case_limit"]
    w = rc.open_case().warning("adm_case_limit", rc.due_at)
    assert (w.person_id, w.warning_id) == (None, warning_id("adm_case_limit", "C1", None, "trg"))


EVENTS = [
    ("detained", MON, "d", {"suspect_flags": ["roving"]}),
    ("family_notified", "2026-05-12T09:00:00+08:00", "n", {"measure": "detention"}),
    ("detention_period_extended", "2026-05-12T10:00:00+08:00", "x", {"to_days": 30}),
    ("sent_to_jail", "2026-05-12T11:00:00+08:00", "j", {}),
    ("arrest_requested", "2026-06-01T10:00:00+08:00", "r", {}),
    ("bail_started", "2026-06-02T10:00:00+08:00", "b",
     {"approvals": [{"approver_id": "A", "role": "chief"}]}),
]


def _dump(case: Case, now: str):
    return sorted(w.model_dump_json() for w in case.warnings(now))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_arrival_order_and_duplicates_do_not_matter(seed):
    ordered = Case()
    for event_type, at, eid, details in EVENTS:
        ordered.add(event_type, at, event_id=eid, **details)
    shuffled = Case()
    events = EVENTS + EVENTS[:3]  # replayed duplicates
    random.Random(seed).shuffle(events)
    for event_type, at, eid, details in events:
        shuffled.add(event_type, at, event_id=eid, **details)
    now = "2026-07-01T00:00:00+08:00"
    assert _dump(shuffled, now) == _dump(ordered, now)
    # 3 det_* rules, arrest_decision_wait, approval_insufficient, and evidence_checklist once
    # per document missing at the arrest request (4)
    assert len(_dump(ordered, now)) == 9


def test_violation_id_is_its_offending_event():
    case = Case()
    case.add("bail_started", MON, event_id="b", approvals=[{"approver_id": "A", "role": "chief"}])
    ids = {w.warning_id for w in case.warnings("2026-05-12T00:00:00+08:00")
           if w.rule_id == "approval_insufficient"}
    assert ids == {warning_id("approval_insufficient", "C1", "P1", "b")}
