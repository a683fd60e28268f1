"""Rules whose period starts at a later event than their trigger (`started_by`):
property_disposal — each seized item (`property_seized`) must be disposed of (returned,
transferred, confiscated: `property_disposed`, same `property_id`) within 3 days of the case's
decision (`admin_case_decided`, or `case_closed`). Until the decision the item has no due;
an item disposed of before it leaves nothing to do.
"""

import pytest
from rulekit import MIN, MON, Case, cst, h, t

from rules.ids import warning_id

RULE = "property_disposal"
DECIDED = "2026-05-18T10:00:00+08:00"  # a Monday: 3 days end 24:00 of Thursday 05-21
DUE = t("2026-05-22T00:00:00+08:00")
LEAD_OPENS = DUE - h(24)
LATER = "2027-06-01T00:00:00+08:00"


def seized(kind: str = "administrative", decided_by: str = "admin_case_decided") -> Case:
    """Item X1 seized (`trg`) and handed over on Monday 05-11; the case decided on 05-18."""
    case = Case(kind=kind)
    case.add("property_seized", MON, event_id="trg", property_id="X1")
    case.add("property_handed_over", "2026-05-11T12:00:00+08:00", event_id="ho",
             property_id="X1")
    case.add(decided_by, DECIDED, event_id="start")
    return case


def test_no_due_before_the_decision_however_long():
    case = Case(kind="administrative")
    case.add("property_seized", MON, event_id="trg", property_id="X1")
    case.add("property_handed_over", "2026-05-11T12:00:00+08:00", property_id="X1")
    assert case.warnings(LATER, RULE) == []
    assert case.result(LATER).next_at is None  # nothing runs by the clock


def test_never_disposed_is_overdue_from_3_days_after_the_decision():
    case = seized()
    assert case.warning(RULE, LEAD_OPENS - MIN) is None
    assert case.warning(RULE, LEAD_OPENS).level == "approaching"
    w = case.warning(RULE, LATER)
    assert (w.level, w.status, w.due_at, w.changed_at) == ("overdue", "open", DUE, DUE)
    assert (w.person_id, w.evidence) == (None, ["trg", "start"])
    assert w.warning_id == warning_id(RULE, "C1", None, "trg")


@pytest.mark.parametrize("offset, expected", [
    pytest.param(-h(25), None, id="before-the-lead: nothing"),
    pytest.param(-h(1), ("approaching", "resolved", False), id="inside-the-lead"),
    pytest.param(h(0), ("approaching", "resolved", False), id="at-the-due: on time"),
    pytest.param(h(1), ("overdue", "resolved", True), id="late"),
])
def test_disposed_after_the_decision(offset, expected):
    case = seized()
    case.add("property_disposed", DUE + offset, event_id="close", property_id="X1")
    w = case.warning(RULE, LATER)
    assert (None if w is None else (w.level, w.status, w.late)) == expected
    if w is not None:
        assert w.evidence == ["trg", "start", "close"]


def test_disposed_before_the_decision_leaves_nothing_to_do():
    case = Case(kind="administrative")
    case.add("property_seized", MON, event_id="trg", property_id="X1")
    case.add("property_disposed", "2026-05-11T20:00:00+08:00", property_id="X1")  # returned
    case.add("admin_case_decided", DECIDED)
    assert case.warnings(LATER, RULE) == []
    assert case.warnings(LATER, "property_handover") == []  # APR 190④: disposed within 24 h


def test_only_the_same_item_closes_it():
    case = seized()
    case.add("property_disposed", DUE - h(2), event_id="other", property_id="X2")
    w = case.warning(RULE, LATER)
    assert (w.level, w.status) == ("overdue", "open")


def test_each_item_runs_on_its_own():
    case = seized()
    case.add("property_seized", MON, event_id="trg2", property_id="X2")
    case.add("property_disposed", DUE - h(2), event_id="close2", property_id="X2")
    found = {tuple(w.evidence): (w.level, w.status) for w in case.warnings(LATER, RULE)}
    assert found == {("trg", "start"): ("overdue", "open"),
                     ("trg2", "start", "close2"): ("approaching", "resolved")}


def test_case_closed_starts_it_in_a_criminal_case():
    case = seized(kind="criminal", decided_by="case_closed")
    w = case.warning(RULE, LATER)
    assert (w.level, w.status, w.due_at, w.evidence) == ("overdue", "open", DUE,
                                                          ["trg", "start"])


def test_case_closed_after_the_decision_does_not_end_it():
    case = seized()
    case.add("case_closed", "2026-05-19T10:00:00+08:00", event_id="closed")
    w = case.warning(RULE, LATER)
    assert (w.level, w.status) == ("overdue", "open")


def test_the_first_decision_starts_it_a_later_one_changes_nothing():
    case = seized()
    case.add("admin_case_decided", "2026-05-20T10:00:00+08:00", event_id="again")
    assert case.warning(RULE, LATER).due_at == DUE


def test_a_holiday_at_the_end_moves_the_due():
    case = Case(kind="administrative")
    case.add("property_seized", "2026-09-20T10:00:00+08:00", property_id="X1")
    case.add("admin_case_decided", "2026-09-28T10:00:00+08:00")  # 3 days end on 10-01
    assert cst(case.warning(RULE, LATER).due_at) == "2026-10-09T00:00:00+08:00"


def test_retracted_decision_withdraws_the_raised_warning():
    case = seized()
    case.add("event_retracted", DUE + h(2), event_id="retr", retracts_event_id="start")
    w = case.warning(RULE, LATER)
    assert (w.level, w.status, w.evidence) == ("overdue", "withdrawn", ["trg", "start", "retr"])


def test_retracted_decision_before_the_lead_leaves_no_trace():
    case = seized()
    case.add("event_retracted", LEAD_OPENS - MIN, retracts_event_id="start")
    assert case.warnings(LATER, RULE) == []


def test_retracted_seizure_withdraws_it():
    case = seized()
    case.add("event_retracted", DUE + h(2), event_id="retr", retracts_event_id="trg")
    w = case.warning(RULE, LATER)
    assert (w.status, w.warning_id) == ("withdrawn", warning_id(RULE, "C1", None, "trg"))


def test_retracted_disposal_reopens_it():
    case = seized()
    case.add("property_disposed", DUE - h(2), event_id="close", property_id="X1")
    case.add("event_retracted", DUE + h(2), event_id="retr", retracts_event_id="close")
    w = case.warning(RULE, LATER)
    assert (w.level, w.status, w.evidence) == ("overdue", "open", ["trg", "start"])
