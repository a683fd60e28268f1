"""Edges of the counting at rule level (rules.md, "Counting periods"): month ends, public
holidays (custody never extends), adjusted working days, and events carrying other offsets.

Each row: a rule, its trigger at an instant, and the due_at the spec's counting gives. The
obligation is never met, so the warning is overdue at that due and carries it.
"""

import pytest
from rulekit import SEC, Case, cst, h, t

TRIGGER = {
    "det_family_notice": ("detained", {}),
    "det_arrest_request": ("detained", {}),
    "arrest_decision_wait": ("arrest_requested", {}),
    "custody_limit": ("arrested", {}),
    "bail_limit": ("bail_started", {}),
    "rs_limit": ("rs_started", {}),
    "supp_investigation": ("returned_for_supplementary_investigation", {}),
    "measure_change_reply": ("measure_change_requested", {}),
    "adm_case_limit": ("admin_case_accepted", {}),
    "adm_decision_delivery": ("admin_case_decided", {}),
    "filing_review": ("criminal_case_accepted", {}),
    "continued_questioning": ("continued_questioning_started", {}),
    "property_handover": ("property_seized", {"property_id": "X1"}),
    "admin_detention_family_notice": ("admin_detention_decided", {}),
    "lawyer_meeting": ("lawyer_meeting_requested", {}),
}
ADMIN = {"adm_case_limit", "adm_decision_delivery", "admin_detention_family_notice"}


def due_of(rule: str, at: str, extensions=()):
    event, details = TRIGGER[rule]
    case = Case(kind="administrative" if rule in ADMIN else "criminal")
    case.add(event, at, event_id="trg", **details)
    for ext_event, ext_at, ext_details in extensions:
        case.add(ext_event, ext_at, **ext_details)
    w = case.warning(rule, "2027-12-31T00:00:00+08:00")
    assert (w.level, w.status) == ("overdue", "open")
    return cst(w.due_at)


MONTH_ENDS = [
    pytest.param("custody_limit", "2026-01-31T10:00:00+08:00", "2026-04-01T00:00:00+08:00",
                 id="custody-from-01-31-2-months-to-03-31"),
    pytest.param("custody_limit", "2026-02-28T10:00:00+08:00", "2026-05-01T00:00:00+08:00",
                 id="custody-from-last-day-of-feb-to-last-day-of-april"),
    pytest.param("custody_limit", "2026-11-30T10:00:00+08:00", "2027-02-01T00:00:00+08:00",
                 id="custody-from-11-30-to-01-31"),
    pytest.param("custody_limit", "2026-12-31T10:00:00+08:00", "2027-03-01T00:00:00+08:00",
                 id="custody-from-12-31-to-02-28"),
    pytest.param("bail_limit", "2026-03-15T12:00:00+08:00", "2027-03-16T00:00:00+08:00",
                 id="bail-from-03-15-12-months-spec-example"),
    pytest.param("supp_investigation", "2026-01-31T10:00:00+08:00", "2026-03-01T00:00:00+08:00",
                 id="1-month-from-01-31-spec-example"),
    pytest.param("supp_investigation", "2026-01-30T10:00:00+08:00", "2026-03-01T00:00:00+08:00",
                 id="1-month-from-01-30-day-missing-in-feb"),
    pytest.param("supp_investigation", "2026-03-31T10:00:00+08:00", "2026-05-01T00:00:00+08:00",
                 id="1-month-from-03-31-to-04-30"),
    pytest.param("rs_limit", "2026-02-28T10:00:00+08:00", "2026-09-01T00:00:00+08:00",
                 id="rs-from-last-day-of-feb-to-08-31"),
]


@pytest.mark.parametrize("rule, at, due", MONTH_ENDS)
def test_month_periods_at_month_ends(rule, at, due):
    assert due_of(rule, at) == due


def test_custody_extensions_from_a_month_end_arrest():
    ext = [("custody_extended", "2026-02-20T10:00:00+08:00", {"basis": "cpl_156"})]
    assert due_of("custody_limit", "2026-01-31T10:00:00+08:00", ext) == "2026-05-01T00:00:00+08:00"
    ext.append(("custody_extended", "2026-04-10T10:00:00+08:00", {"basis": "cpl_158"}))
    assert due_of("custody_limit", "2026-01-31T10:00:00+08:00", ext) == "2026-07-01T00:00:00+08:00"
    ext.append(("custody_extended", "2026-06-10T10:00:00+08:00", {"basis": "cpl_159"}))
    assert due_of("custody_limit", "2026-01-31T10:00:00+08:00", ext) == "2026-09-01T00:00:00+08:00"


HOLIDAYS = [
    # Non-custody day and month periods ending in National Day 2026 (10-01..10-07) end on
    # 10-08, the next working day.
    pytest.param("measure_change_reply", "2026-09-28T10:00:00+08:00",
                 "2026-10-09T00:00:00+08:00", id="3-days-ending-10-01"),
    pytest.param("adm_decision_delivery", "2026-09-29T10:00:00+08:00",
                 "2026-10-09T00:00:00+08:00", id="2-days-ending-10-01"),
    pytest.param("adm_case_limit", "2026-09-01T10:00:00+08:00",
                 "2026-10-09T00:00:00+08:00", id="30-days-ending-10-01"),
    pytest.param("supp_investigation", "2026-09-05T10:00:00+08:00",
                 "2026-10-09T00:00:00+08:00", id="1-month-ending-10-05"),
    pytest.param("rs_limit", "2026-04-07T10:00:00+08:00",
                 "2026-10-09T00:00:00+08:00", id="6-months-ending-10-07"),
    pytest.param("bail_limit", "2025-10-03T10:00:00+08:00",
                 "2026-10-09T00:00:00+08:00", id="12-months-ending-10-03"),
    pytest.param("measure_change_reply", "2026-04-28T10:00:00+08:00",
                 "2026-05-07T00:00:00+08:00", id="3-days-ending-in-may-day"),
    pytest.param("measure_change_reply", "2026-05-13T10:00:00+08:00",
                 "2026-05-19T00:00:00+08:00", id="3-days-ending-on-a-saturday"),
    pytest.param("filing_review", "2026-09-28T10:00:00+08:00",
                 "2026-10-09T00:00:00+08:00", id="filing_review-3-days-ending-10-01"),
    pytest.param("filing_review", "2026-05-13T10:00:00+08:00",
                 "2026-05-19T00:00:00+08:00", id="filing_review-3-days-ending-on-a-saturday"),
    pytest.param("filing_review", "2026-04-28T23:59:59+08:00",
                 "2026-05-07T00:00:00+08:00", id="filing_review-accepted-at-23-59-59-may-day"),
    # Hour periods run through holidays by the clock.
    pytest.param("continued_questioning", "2026-09-30T20:30:00+08:00",
                 "2026-10-01T08:30:00+08:00", id="continued_questioning-12h-into-10-01"),
    pytest.param("property_handover", "2026-09-30T20:30:00+08:00",
                 "2026-10-01T20:30:00+08:00", id="property_handover-24h-on-10-01"),
    pytest.param("lawyer_meeting", "2026-09-30T20:30:00+08:00",
                 "2026-10-02T20:30:00+08:00", id="lawyer_meeting-48h-over-10-01"),
    pytest.param("admin_detention_family_notice", "2026-04-30T23:00:00+08:00",
                 "2026-05-01T23:00:00+08:00", id="admin_detention_notice-24h-on-may-day"),
    # Adjusted working days (调休上班) are working days: the period ends there.
    pytest.param("adm_decision_delivery", "2026-10-08T10:00:00+08:00",
                 "2026-10-11T00:00:00+08:00", id="ends-saturday-10-10-a-working-day"),
    pytest.param("measure_change_reply", "2026-09-17T10:00:00+08:00",
                 "2026-09-21T00:00:00+08:00", id="ends-sunday-09-20-a-working-day"),
    # Custody never extends (rules.md: det_arrest_request, custody_limit "hol. no").
    pytest.param("det_arrest_request", "2026-09-28T10:00:00+08:00",
                 "2026-10-02T00:00:00+08:00", id="custody-det_arrest_request-ends-10-01"),
    pytest.param("det_arrest_request", "2026-05-01T15:00:00+08:00",
                 "2026-05-05T00:00:00+08:00", id="custody-spec-example-may-day"),
    pytest.param("custody_limit", "2026-08-01T10:00:00+08:00",
                 "2026-10-02T00:00:00+08:00", id="custody-custody_limit-ends-10-01"),
    pytest.param("arrest_decision_wait", "2026-09-24T10:00:00+08:00",
                 "2026-10-02T00:00:00+08:00", id="arrest_decision_wait-hol-no"),
]


@pytest.mark.parametrize("rule, at, due", HOLIDAYS)
def test_holidays(rule, at, due):
    assert due_of(rule, at) == due


@pytest.mark.parametrize(
    "rule, at, extension, due",
    [
        pytest.param("det_arrest_request", "2026-09-24T10:00:00+08:00",
                     ("detention_period_extended", "2026-09-25T10:00:00+08:00", {"to_days": 7}),
                     "2026-10-02T00:00:00+08:00", id="det_arrest_request-7-days"),
        pytest.param("custody_limit", "2026-07-01T10:00:00+08:00",
                     ("custody_extended", "2026-07-20T10:00:00+08:00", {"basis": "cpl_156"}),
                     "2026-10-02T00:00:00+08:00", id="custody_limit-cpl_156"),
    ],
)
def test_extended_custody_ending_on_a_holiday_does_not_extend(rule, at, extension, due):
    assert due_of(rule, at, [extension]) == due


def test_extended_filing_review_ending_on_a_holiday_extends():
    ext = ("filing_review_extended", "2026-09-25T10:00:00+08:00", {"to_days": 7})
    assert due_of("filing_review", "2026-09-24T10:00:00+08:00", [ext]) == (
        "2026-10-09T00:00:00+08:00")


def test_lead_counts_back_from_the_holiday_shifted_due():
    case = Case()
    case.add("measure_change_requested", "2026-09-28T10:00:00+08:00")
    assert case.warning("measure_change_reply", t("2026-10-08T00:00:00+08:00") - SEC) is None
    w = case.warning("measure_change_reply", "2026-10-08T00:00:00+08:00")
    assert (w.level, cst(w.due_at)) == ("approaching", "2026-10-09T00:00:00+08:00")


OFFSETS = [
    pytest.param("det_arrest_request", "2026-05-11T17:30:00+00:00", "2026-05-16T00:00:00+08:00",
                 id="days-utc-evening-is-next-day-in-china"),
    pytest.param("measure_change_reply", "2026-05-10T20:00:00-04:00",
                 "2026-05-15T00:00:00+08:00", id="days-minus-04"),
    pytest.param("adm_decision_delivery", "2026-09-28T18:00:00+00:00",
                 "2026-10-09T00:00:00+08:00", id="days-utc-then-national-day"),
    pytest.param("custody_limit", "2026-01-31T16:30:00+00:00", "2026-04-02T00:00:00+08:00",
                 id="months-utc-01-31-is-02-01-in-china"),
    pytest.param("det_family_notice", "2026-05-11T02:00:00+00:00", "2026-05-12T10:00:00+08:00",
                 id="hours-utc"),
    pytest.param("filing_review", "2026-05-11T17:30:00+00:00", "2026-05-16T00:00:00+08:00",
                 id="filing_review-utc-evening-is-next-day-in-china"),
    pytest.param("property_handover", "2026-05-11T02:00:00+00:00", "2026-05-12T10:00:00+08:00",
                 id="property_handover-hours-utc"),
]


@pytest.mark.parametrize("rule, at, due", OFFSETS)
def test_event_with_another_offset_counted_in_china_time(rule, at, due):
    assert due_of(rule, at) == due


def test_due_at_prints_in_china_time():
    case = Case()
    case.add("detained", "2026-05-11T17:30:00+00:00")
    w = case.warning("det_arrest_request", "2026-06-01T00:00:00+00:00")
    dumped = w.model_dump(mode="json")
    assert dumped["due_at"] == "2026-05-16T00:00:00+08:00"
    assert dumped["changed_at"] == "2026-05-16T00:00:00+08:00"


def test_hours_run_across_midnight_and_holidays_exactly():
    case = Case()
    case.add("summons_started", "2026-09-30T20:30:00+08:00")
    w = case.warning("summons_duration", "2026-10-02T00:00:00+08:00")
    assert cst(w.due_at) == cst(t("2026-09-30T20:30:00+08:00") + h(12))
    assert cst(w.due_at) == "2026-10-01T08:30:00+08:00"
