"""Extensions replace the due of the open obligation (rules.md, "Extensions" and the table).

det_arrest_request: 7 or 30 days, always counted from the detention, lead 24 h / 5 days.
custody_limit: 3, 5, 7 months from the arrest after cpl_156, cpl_158, cpl_159; a recount starts
a fresh 2 months. summons_duration 24 h, adm_questioning 24 h, adm_case_limit 60 days.
"""

import pytest
from rulekit import MON, SEC, Case, cst, h, t

ROVING = {"suspect_flags": ["roving"]}

# (rule, trigger, trigger details, [(event, at, details)], due_at, lead opens, kind)
EXTENDED = [
    pytest.param(
        "det_arrest_request", "detained", {},
        [("detention_period_extended", "2026-05-12T10:00:00+08:00", {"to_days": 7})],
        "2026-05-19T00:00:00+08:00", "2026-05-18T00:00:00+08:00", "criminal",
        id="det_arrest_request-7-days",
    ),
    pytest.param(
        "det_arrest_request", "detained", ROVING,
        [("detention_period_extended", "2026-05-12T10:00:00+08:00", {"to_days": 30})],
        "2026-06-11T00:00:00+08:00", "2026-06-06T00:00:00+08:00", "criminal",
        id="det_arrest_request-30-days-roving",
    ),
    pytest.param(
        "det_arrest_request", "detained", {"suspect_flags": ["group"]},
        [("detention_period_extended", "2026-05-12T10:00:00+08:00", {"to_days": 7}),
         ("detention_period_extended", "2026-05-16T10:00:00+08:00", {"to_days": 30})],
        "2026-06-11T00:00:00+08:00", "2026-06-06T00:00:00+08:00", "criminal",
        id="det_arrest_request-7-then-30-from-detention",
    ),
    pytest.param(
        "custody_limit", "arrested", {},
        [("custody_extended", "2026-06-01T10:00:00+08:00", {"basis": "cpl_156"})],
        "2026-08-12T00:00:00+08:00", "2026-07-28T00:00:00+08:00", "criminal",
        id="custody_limit-3-months",
    ),
    pytest.param(
        "custody_limit", "arrested", {},
        [("custody_extended", "2026-06-01T10:00:00+08:00", {"basis": "cpl_156"}),
         ("custody_extended", "2026-07-20T10:00:00+08:00", {"basis": "cpl_158"})],
        "2026-10-12T00:00:00+08:00", "2026-09-27T00:00:00+08:00", "criminal",
        id="custody_limit-5-months",
    ),
    pytest.param(
        "custody_limit", "arrested", {},
        [("custody_extended", "2026-06-01T10:00:00+08:00", {"basis": "cpl_156"}),
         ("custody_extended", "2026-07-20T10:00:00+08:00", {"basis": "cpl_158"}),
         ("custody_extended", "2026-09-20T10:00:00+08:00", {"basis": "cpl_159"})],
        "2026-12-12T00:00:00+08:00", "2026-11-27T00:00:00+08:00", "criminal",
        id="custody_limit-7-months",
    ),
    pytest.param(
        "custody_limit", "arrested", {},
        [("custody_extended", "2026-06-01T10:00:00+08:00", {"basis": "cpl_156"}),
         ("custody_recounted", "2026-06-20T09:00:00+08:00", {})],
        "2026-08-21T00:00:00+08:00", "2026-08-06T00:00:00+08:00", "criminal",
        id="custody_recounted-fresh-2-months",
    ),
    pytest.param(
        "custody_limit", "arrested", {},
        [("custody_extended", "2026-06-01T10:00:00+08:00", {"basis": "cpl_156"}),
         ("custody_recounted", "2026-06-20T09:00:00+08:00", {}),
         ("custody_extended", "2026-08-01T10:00:00+08:00", {"basis": "cpl_156"})],
        "2026-09-21T00:00:00+08:00", "2026-09-06T00:00:00+08:00", "criminal",
        id="custody_recounted-then-cpl_156-from-the-recount",
    ),
    pytest.param(
        "summons_duration", "summons_started", {},
        [("summons_extended", "2026-05-11T15:00:00+08:00", {})],
        "2026-05-12T10:00:00+08:00", "2026-05-12T08:00:00+08:00", "criminal",
        id="summons_duration-24h",
    ),
    pytest.param(
        "adm_questioning", "admin_questioning_started", {},
        [("admin_questioning_extended", "2026-05-11T12:00:00+08:00", {})],
        "2026-05-12T10:00:00+08:00", "2026-05-12T08:00:00+08:00", "administrative",
        id="adm_questioning-24h",
    ),
    pytest.param(
        "adm_case_limit", "admin_case_accepted", {},
        [("admin_case_extended", "2026-05-20T10:00:00+08:00", {})],
        "2026-07-11T00:00:00+08:00", "2026-07-06T00:00:00+08:00", "administrative",
        id="adm_case_limit-60-days",
    ),
    pytest.param(
        "filing_review", "criminal_case_accepted", {},
        [("filing_review_extended", "2026-05-13T10:00:00+08:00", {"to_days": 7})],
        "2026-05-19T00:00:00+08:00", "2026-05-18T00:00:00+08:00", "criminal",
        id="filing_review-7-days-from-the-acceptance",
    ),
    pytest.param(
        "filing_review", "criminal_case_accepted", {},
        [("filing_review_extended", "2026-05-13T10:00:00+08:00", {"to_days": 30})],
        "2026-06-11T00:00:00+08:00", "2026-06-06T00:00:00+08:00", "criminal",
        id="filing_review-30-days",
    ),
    pytest.param(
        "continued_questioning", "continued_questioning_started", {},
        [("continued_questioning_extended", "2026-05-11T15:00:00+08:00", {})],
        "2026-05-12T10:00:00+08:00", "2026-05-12T08:00:00+08:00", "criminal",
        id="continued_questioning-24h",
    ),
    pytest.param(
        "continued_questioning", "continued_questioning_started", {},
        [("continued_questioning_extended", "2026-05-11T15:00:00+08:00", {}),
         ("continued_questioning_extended", "2026-05-12T05:00:00+08:00", {})],
        "2026-05-13T10:00:00+08:00", "2026-05-13T06:00:00+08:00", "criminal",
        id="continued_questioning-then-48h",
    ),
]


def _extended_case(trigger, trigger_details, extensions, kind):
    case = Case(kind=kind)
    case.add(trigger, MON, event_id="trg", **trigger_details)
    ids = ["trg"]
    for n, (event, at, details) in enumerate(extensions, 1):
        ids.append(case.add(event, at, event_id=f"x{n}", **details))
    return case, ids


@pytest.mark.parametrize("rule, trigger, tdetails, extensions, due, lead_opens, kind", EXTENDED)
def test_extended_never_met(rule, trigger, tdetails, extensions, due, lead_opens, kind):
    case, ids = _extended_case(trigger, tdetails, extensions, kind)
    assert case.warning(rule, t(lead_opens) - SEC) is None
    approaching = case.warning(rule, lead_opens)
    assert (approaching.level, approaching.status, cst(approaching.due_at)) == (
        "approaching", "open", due)
    overdue = case.warning(rule, due)
    assert (overdue.level, overdue.status, cst(overdue.due_at)) == ("overdue", "open", due)
    assert overdue.evidence == ids


@pytest.mark.parametrize("rule, trigger, tdetails, extensions, due, lead_opens, kind", EXTENDED)
def test_extended_met_after_the_original_due_is_on_time(
        rule, trigger, tdetails, extensions, due, lead_opens, kind):
    case, _ = _extended_case(trigger, tdetails, extensions, kind)
    closer = {"det_arrest_request": "arrest_requested", "custody_limit": "released",
              "summons_duration": "summons_ended", "adm_questioning": "admin_questioning_ended",
              "adm_case_limit": "admin_case_decided", "filing_review": "filing_decided",
              "continued_questioning": "continued_questioning_ended"}[rule]
    case.add(closer, t(due) - h(1), event_id="close")
    w = case.warning(rule, t(due) + h(24 * 30))
    assert (w.level, w.status, w.late, cst(w.due_at)) == ("approaching", "resolved", False, due)


@pytest.mark.parametrize("rule, trigger, tdetails, extensions, due, lead_opens, kind", EXTENDED)
def test_extended_met_late(rule, trigger, tdetails, extensions, due, lead_opens, kind):
    case, _ = _extended_case(trigger, tdetails, extensions, kind)
    closer = {"det_arrest_request": "released", "custody_limit": "transferred_for_prosecution",
              "summons_duration": "detained", "adm_questioning": "admin_questioning_ended",
              "adm_case_limit": "admin_case_decided", "filing_review": "filing_decided",
              "continued_questioning": "sent_to_jail"}[rule]
    case.add(closer, t(due) + h(1), event_id="close")
    w = case.warning(rule, t(due) + h(24 * 30))
    assert (w.level, w.status, w.late, cst(w.due_at)) == ("overdue", "resolved", True, due)


@pytest.mark.parametrize(
    "rule, trigger, extension, details, at, now, due",
    [
        pytest.param("det_arrest_request", "detained", "detention_period_extended",
                     {"to_days": 7}, "2026-05-14T12:00:00+08:00", "2026-05-15T06:00:00+08:00",
                     "2026-05-19T00:00:00+08:00", id="det_arrest_request"),
        pytest.param("summons_duration", "summons_started", "summons_extended", {},
                     "2026-05-11T21:00:00+08:00", "2026-05-11T23:00:00+08:00",
                     "2026-05-12T10:00:00+08:00", id="summons_duration"),
    ],
)
def test_extension_after_the_lead_opened_keeps_approaching_and_moves_the_due(
        rule, trigger, extension, details, at, now, due):
    case = Case()
    case.add(trigger, MON, event_id="trg")
    case.add(extension, at, event_id="ext", **details)
    w = case.warning(rule, now)
    assert (w.level, w.status, cst(w.due_at)) == ("approaching", "open", due)
    assert w.evidence == ["trg", "ext"]


def test_det_arrest_request_extension_counts_from_the_detention_not_the_extension():
    case = Case()
    case.add("detained", "2026-05-11T23:00:00+08:00", event_id="trg")
    case.add("detention_period_extended", "2026-05-14T20:00:00+08:00", to_days=7)
    w = case.warning("det_arrest_request", "2026-06-01T00:00:00+08:00")
    assert cst(w.due_at) == "2026-05-19T00:00:00+08:00"


def test_extension_after_the_obligation_was_met_changes_nothing():
    case = Case()
    case.add("summons_started", MON, event_id="trg")
    case.add("summons_ended", "2026-05-11T21:00:00+08:00", event_id="end")
    case.add("summons_extended", "2026-05-11T21:30:00+08:00", event_id="ext")
    w = case.warning("summons_duration", "2026-05-13T00:00:00+08:00")
    assert (w.level, w.status, w.late, cst(w.due_at)) == (
        "approaching", "resolved", False, "2026-05-11T22:00:00+08:00")
    assert w.evidence == ["trg", "end"]
    assert case.warnings("2026-05-13T00:00:00+08:00", "extension_after_expiry") == []


# --- continued questioning: successive extensions (CQ 11, 17) ------------------------------

CQ_START = MON  # 12 h: due 22:00; 24 h: 05-12 10:00; 48 h: 05-13 10:00


def _questioned(*extensions: str) -> Case:
    case = Case()
    case.add("continued_questioning_started", CQ_START, event_id="trg")
    for n, at in enumerate(extensions, 1):
        case.add("continued_questioning_extended", at, event_id=f"x{n}")
    return case


def test_a_third_extension_extends_nothing_and_raises_nothing():
    case = _questioned("2026-05-11T15:00:00+08:00", "2026-05-11T16:00:00+08:00",
                       "2026-05-12T20:00:00+08:00")
    w = case.warning("continued_questioning", "2026-05-13T12:00:00+08:00")
    assert (w.level, cst(w.due_at), w.evidence) == (
        "overdue", "2026-05-13T10:00:00+08:00", ["trg", "x1", "x2"])
    assert [x.rule_id for x in case.warnings("2026-05-13T12:00:00+08:00")
            if x.level == "violation"] == []


def test_the_second_extension_after_the_24_hours_ran_out_revives_nothing():
    case = _questioned("2026-05-11T15:00:00+08:00", "2026-05-12T10:30:00+08:00")
    w = case.warning("continued_questioning", "2026-05-12T12:00:00+08:00")
    assert (w.level, w.status, cst(w.due_at)) == ("overdue", "open", "2026-05-12T10:00:00+08:00")
    (v,) = case.warnings("2026-05-12T12:00:00+08:00", "extension_after_expiry")
    assert v.evidence == ["trg", "x2"]
    assert any(b.ref == "CQ 17②" for b in v.basis)


def test_the_first_extension_after_the_12_hours_ran_out_revives_nothing():
    case = _questioned("2026-05-11T22:30:00+08:00")
    w = case.warning("continued_questioning", "2026-05-11T23:00:00+08:00")
    assert (w.level, cst(w.due_at)) == ("overdue", "2026-05-11T22:00:00+08:00")
    assert len(case.warnings("2026-05-11T23:00:00+08:00", "extension_after_expiry")) == 1


def test_a_retracted_first_extension_makes_the_second_the_first():
    case = _questioned("2026-05-11T15:00:00+08:00", "2026-05-11T16:00:00+08:00")
    case.add("event_retracted", "2026-05-11T17:00:00+08:00", retracts_event_id="x1")
    w = case.warning("continued_questioning", "2026-05-12T09:00:00+08:00")
    assert (w.level, cst(w.due_at), w.evidence) == (
        "approaching", "2026-05-12T10:00:00+08:00", ["trg", "x2"])


def test_filing_review_7_then_30_days_counts_both_from_the_acceptance():
    case = Case()
    case.add("criminal_case_accepted", MON, event_id="trg")
    case.add("filing_review_extended", "2026-05-13T10:00:00+08:00", event_id="x1", to_days=7)
    case.add("filing_review_extended", "2026-05-17T10:00:00+08:00", event_id="x2", to_days=30)
    w = case.warning("filing_review", "2026-06-11T00:00:00+08:00")
    assert (w.level, cst(w.due_at), w.person_id) == ("overdue", "2026-06-11T00:00:00+08:00", None)
