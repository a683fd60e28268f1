"""case_closed and event_retracted (rules.md, "Closing and withdrawal"; events.md).

- case_closed withdraws every open obligation of the case not yet overdue (a raised warning
  becomes withdrawn, an unraised one leaves no trace) and resolves overdue ones, late.
- event_retracted recomputes as if the event had never existed, from the retraction on: a
  warning raised before then that rested on it stays listed, withdrawn; an obligation never
  raised leaves no trace; a retracted closing event reopens the obligation.
"""

import pytest
from rulekit import MIN, MON, RULES, Case, RuleCase, cst, h, t

ALL = pytest.mark.parametrize("rc", list(RULES.values()), ids=list(RULES))
# case_closed closes every obligation but the one it opens itself (the visit after closing)
CLOSABLE = [r for r in RULES.values() if r.trigger != "case_closed"]
CLOSED_BY_CASE_CLOSED = pytest.mark.parametrize("rc", CLOSABLE, ids=[r.rule_id for r in CLOSABLE])
LATER = "2027-12-01T00:00:00+08:00"


# --- case_closed ---------------------------------------------------------------------------

@CLOSED_BY_CASE_CLOSED
def test_case_closed_before_the_lead_leaves_no_trace(rc: RuleCase):
    case = rc.open_case()
    case.add("case_closed", rc.lead_opens - MIN, event_id="closed")
    assert case.warnings(LATER, rc.rule_id) == []


@CLOSED_BY_CASE_CLOSED
def test_case_closed_after_the_lead_withdraws_the_raised_warning(rc: RuleCase):
    case = rc.open_case()
    case.add("case_closed", rc.due_at - MIN, event_id="closed")
    w = case.warning(rc.rule_id, LATER)
    assert (w.level, w.status, w.late, w.resolved_at) == ("approaching", "withdrawn", None, None)
    assert (w.due_at, w.changed_at) == (rc.due_at, rc.due_at - MIN)
    assert w.evidence == ["trg", "closed"]


@CLOSED_BY_CASE_CLOSED
def test_case_closed_after_the_due_resolves_late(rc: RuleCase):
    case = rc.open_case()
    case.add("case_closed", rc.due_at + MIN, event_id="closed")
    w = case.warning(rc.rule_id, LATER)
    assert (w.level, w.status, w.late) == ("overdue", "resolved", True)
    assert (w.due_at, w.resolved_at) == (rc.due_at, rc.due_at + MIN)
    assert w.evidence == ["trg", "closed"]


def test_case_closed_applies_to_every_person_of_the_case():
    case = Case()
    case.add("detained", MON, event_id="d1")
    case.add("detained", MON, event_id="d2", person_id="P2")
    case.add("case_closed", "2026-05-12T08:00:00+08:00", event_id="closed")
    found = {(w.person_id, w.status) for w in case.warnings(LATER, "det_family_notice")}
    assert found == {("P1", "withdrawn"), ("P2", "withdrawn")}


def test_case_closed_leaves_resolved_obligations_alone():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("family_notified", "2026-05-12T08:00:00+08:00", event_id="n", measure="detention")
    case.add("case_closed", "2026-05-12T09:00:00+08:00", event_id="closed")
    w = case.warning("det_family_notice", LATER)
    assert (w.status, w.late, w.evidence) == ("resolved", False, ["trg", "n"])


# --- event_retracted: a retracted trigger --------------------------------------------------

@ALL
def test_retracted_trigger_raised_stays_listed_withdrawn(rc: RuleCase):
    case = rc.open_case()
    case.add("event_retracted", rc.due_at - MIN, event_id="retr", retracts_event_id="trg")
    w = case.warning(rc.rule_id, LATER)
    assert (w.level, w.status, w.late, w.resolved_at) == ("approaching", "withdrawn", None, None)
    assert (w.due_at, w.changed_at) == (rc.due_at, rc.due_at - MIN)
    assert w.evidence == ["trg", "retr"]
    assert w.warning_id == case.warning_id(rc.rule_id, "trg", rc.person)


@ALL
def test_retracted_trigger_overdue_keeps_its_level(rc: RuleCase):
    case = rc.open_case()
    case.add("event_retracted", rc.due_at + h(1), event_id="retr", retracts_event_id="trg")
    w = case.warning(rc.rule_id, LATER)
    assert (w.level, w.status, w.evidence) == ("overdue", "withdrawn", ["trg", "retr"])


@ALL
def test_retracted_trigger_never_raised_leaves_no_trace(rc: RuleCase):
    case = rc.open_case()
    case.add("event_retracted", rc.lead_opens - MIN, event_id="retr", retracts_event_id="trg")
    assert case.warnings(LATER, rc.rule_id) == []


def test_retraction_leaves_no_trace_at_all_when_nothing_was_raised():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("event_retracted", "2026-05-11T11:00:00+08:00", retracts_event_id="trg")
    assert case.warnings(LATER) == []


def test_retraction_of_an_unknown_event_changes_nothing():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("event_retracted", "2026-05-11T11:00:00+08:00", retracts_event_id="nope")
    w = case.warning("det_family_notice", LATER)
    assert (w.level, w.status, w.evidence) == ("overdue", "open", ["trg"])


# --- event_retracted: a retracted closing event reopens ------------------------------------

@ALL
def test_retracted_closing_event_reopens_the_same_warning(rc: RuleCase):
    case = rc.open_case()
    rc.close(case, rc.due_at - h(1))
    before = case.warning(rc.rule_id, rc.due_at - MIN)
    assert (before.level, before.status) == ("approaching", "resolved")
    case.add("event_retracted", rc.due_at + h(2), event_id="retr", retracts_event_id="close")
    after = case.warning(rc.rule_id, rc.due_at + h(3))
    assert (after.level, after.status, after.late, after.resolved_at) == (
        "overdue", "open", None, None)
    assert after.warning_id == before.warning_id == case.warning_id(rc.rule_id, "trg", rc.person)
    assert after.due_at == rc.due_at


@ALL
def test_retracted_closing_event_before_the_lead_reopens_overdue(rc: RuleCase):
    case = rc.open_case()
    rc.close(case, rc.lead_opens - h(1))
    assert case.warnings(rc.due_at + h(1), rc.rule_id) == []
    case.add("event_retracted", rc.due_at + h(2), event_id="retr", retracts_event_id="close")
    w = case.warning(rc.rule_id, rc.due_at + h(3))
    assert (w.level, w.status, w.due_at) == ("overdue", "open", rc.due_at)
    assert w.warning_id == case.warning_id(rc.rule_id, "trg", rc.person)


def test_retracted_case_closed_reopens_withdrawn_obligations():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("case_closed", "2026-05-12T08:00:00+08:00", event_id="closed")
    case.add("event_retracted", "2026-05-12T12:00:00+08:00", retracts_event_id="closed")
    w = case.warning("det_family_notice", LATER)
    assert (w.level, w.status, cst(w.due_at)) == ("overdue", "open", "2026-05-12T10:00:00+08:00")


def test_retracted_extension_restores_the_original_due():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("detention_period_extended", "2026-05-12T10:00:00+08:00", event_id="ext", to_days=7)
    assert case.warnings("2026-05-16T12:00:00+08:00", "det_arrest_request") == []
    case.add("event_retracted", "2026-05-16T12:00:00+08:00", retracts_event_id="ext")
    w = case.warning("det_arrest_request", "2026-05-16T13:00:00+08:00")
    assert (w.level, w.status, cst(w.due_at)) == ("overdue", "open", "2026-05-15T00:00:00+08:00")


def test_retracted_offending_event_withdraws_its_violation():
    case = Case()
    case.add("bail_started", MON, event_id="m", approvals=[{"approver_id": "A", "role": "chief"}])
    case.add("event_retracted", "2026-05-12T10:00:00+08:00", event_id="retr",
             retracts_event_id="m")
    (w,) = case.warnings(LATER, "approval_insufficient")
    assert (w.level, w.status, w.evidence) == ("violation", "withdrawn", ["m", "retr"])
    assert w.changed_at == t("2026-05-12T10:00:00+08:00")


def test_before_the_retraction_the_warning_is_still_open():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("event_retracted", "2026-05-12T12:00:00+08:00", retracts_event_id="trg")
    w = case.warning("det_family_notice", "2026-05-12T11:00:00+08:00")
    assert (w.level, w.status, w.evidence) == ("overdue", "open", ["trg"])


def test_retracted_trigger_of_a_resolved_warning_is_withdrawn():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("family_notified", "2026-05-12T11:00:00+08:00", event_id="n", measure="detention")
    case.add("event_retracted", "2026-05-13T10:00:00+08:00", event_id="retr",
             retracts_event_id="trg")
    w = case.warning("det_family_notice", LATER)
    assert (w.level, w.status, w.late, w.resolved_at) == ("overdue", "withdrawn", None, None)
    assert w.evidence == ["trg", "n", "retr"]
    assert "（已撤回）" in w.message_zh and "(withdrawn)" in w.message_en


def test_two_retractions_of_one_trigger_at_one_instant_keep_it_listed_withdrawn():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("event_retracted", "2026-05-12T12:00:00+08:00", event_id="r1",
             retracts_event_id="trg")
    case.add("event_retracted", "2026-05-12T12:00:00+08:00", event_id="r2",
             retracts_event_id="trg")
    w = case.warning("det_family_notice", LATER)
    assert (w.level, w.status, w.evidence) == ("overdue", "withdrawn", ["trg", "r1"])


def test_retracted_retraction_puts_the_event_back_in_force():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("event_retracted", "2026-05-12T12:00:00+08:00", event_id="r1",
             retracts_event_id="trg")
    case.add("event_retracted", "2026-05-12T13:00:00+08:00", event_id="r2",
             retracts_event_id="r1")
    w = case.warning("det_family_notice", LATER)
    assert (w.level, w.status, w.evidence) == ("overdue", "open", ["trg"])
