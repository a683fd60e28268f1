"""The seven violations of rules.md ("Violations (instant, no due)"): raised, not raised, and
their effect on the deadline they touch."""

import pytest
from rulekit import MON, Case, cst, h, t

LATER = "2027-06-01T00:00:00+08:00"  # long after every scenario below


def hits(case: Case, rule_id: str, now=LATER) -> list[list[str]]:
    """Evidence of each violation warning of `rule_id`, in order of the offending event."""
    found = case.warnings(now, rule_id)
    for w in found:
        assert (w.level, w.status, w.late, w.due_at, w.resolved_at) == (
            "violation", "open", None, None, None)
    return sorted((w.evidence for w in found), key=lambda ev: ev[-1])


def assert_one_violation(case: Case, rule_id: str, offending: str, evidence: list[str],
                         person: str | None = "P1"):
    (w,) = case.warnings(LATER, rule_id)
    assert (w.level, w.status, w.late, w.due_at) == ("violation", "open", None, None)
    assert w.evidence == evidence
    assert w.person_id == person
    assert w.warning_id == case.warning_id(rule_id, offending, person)


# --- det_extension_unjustified (CPL 91②) ---------------------------------------------------

def test_det_extension_unjustified_raised_and_extends_nothing():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("detention_period_extended", "2026-05-12T10:00:00+08:00", event_id="ext", to_days=30)
    assert_one_violation(case, "det_extension_unjustified", "ext", ["trg", "ext"])
    (v,) = case.warnings(LATER, "det_extension_unjustified")
    assert v.changed_at == t("2026-05-12T10:00:00+08:00")
    w = case.warning("det_arrest_request", "2026-05-15T00:00:00+08:00")
    assert (w.level, w.status, cst(w.due_at)) == ("overdue", "open", "2026-05-15T00:00:00+08:00")


@pytest.mark.parametrize(
    "flags, to_days, due",
    [
        (["roving"], 30, "2026-06-11T00:00:00+08:00"),
        (["repeated"], 30, "2026-06-11T00:00:00+08:00"),
        (["group"], 30, "2026-06-11T00:00:00+08:00"),
        (["roving", "group"], 30, "2026-06-11T00:00:00+08:00"),
        ([], 7, "2026-05-19T00:00:00+08:00"),
    ],
    ids=["roving", "repeated", "group", "roving+group", "7-days-needs-no-flag"],
)
def test_det_extension_justified_not_raised(flags, to_days, due):
    case = Case()
    case.add("detained", MON, suspect_flags=flags)
    case.add("detention_period_extended", "2026-05-12T10:00:00+08:00", to_days=to_days)
    assert hits(case, "det_extension_unjustified") == []
    assert cst(case.warning("det_arrest_request", LATER).due_at) == due


# --- extension_after_expiry (CPL 91, 156-159) ----------------------------------------------

EXPIRED = [
    # rule, trigger, extension, details, extension instant, the due it failed to extend, kind
    pytest.param("det_arrest_request", "detained", "detention_period_extended", {"to_days": 7},
                 "2026-05-15T08:00:00+08:00", "2026-05-15T00:00:00+08:00", "criminal",
                 id="detention_period_extended"),
    pytest.param("custody_limit", "arrested", "custody_extended", {"basis": "cpl_156"},
                 "2026-07-12T09:00:00+08:00", "2026-07-12T00:00:00+08:00", "criminal",
                 id="custody_extended"),
    pytest.param("summons_duration", "summons_started", "summons_extended", {},
                 "2026-05-11T22:30:00+08:00", "2026-05-11T22:00:00+08:00", "criminal",
                 id="summons_extended"),
    pytest.param("adm_questioning", "admin_questioning_started", "admin_questioning_extended",
                 {}, "2026-05-11T18:30:00+08:00", "2026-05-11T18:00:00+08:00", "administrative",
                 id="admin_questioning_extended"),
    pytest.param("adm_case_limit", "admin_case_accepted", "admin_case_extended", {},
                 "2026-06-11T09:00:00+08:00", "2026-06-11T00:00:00+08:00", "administrative",
                 id="admin_case_extended"),
]


@pytest.mark.parametrize("rule, trigger, extension, details, at, due, kind", EXPIRED)
def test_extension_after_expiry_raised_and_revives_nothing(
        rule, trigger, extension, details, at, due, kind):
    case = Case(kind=kind)
    case.add(trigger, MON, event_id="trg")
    case.add(extension, at, event_id="ext", **details)
    person = None if rule == "adm_case_limit" else "P1"
    assert_one_violation(case, "extension_after_expiry", "ext", ["trg", "ext"], person)
    w = case.warning(rule, LATER)
    assert (w.level, w.status, cst(w.due_at)) == ("overdue", "open", due)


@pytest.mark.parametrize("rule, trigger, extension, details, at, due, kind", EXPIRED)
def test_extension_just_before_the_due_is_not_after_expiry(
        rule, trigger, extension, details, at, due, kind):
    case = Case(kind=kind)
    case.add(trigger, MON, event_id="trg")
    case.add(extension, t(due) - h(0.5), event_id="ext", **details)
    assert hits(case, "extension_after_expiry") == []
    assert case.warning(rule, LATER).due_at > t(due)


def test_extension_at_exactly_the_due_is_not_after_expiry():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("detention_period_extended", "2026-05-15T00:00:00+08:00", event_id="ext", to_days=7)
    assert hits(case, "extension_after_expiry") == []
    assert cst(case.warning("det_arrest_request", LATER).due_at) == "2026-05-19T00:00:00+08:00"


def test_late_extension_then_late_closing_is_resolved_late():
    case = Case()
    case.add("detained", MON, event_id="trg")
    case.add("detention_period_extended", "2026-05-15T08:00:00+08:00", to_days=7)
    case.add("arrest_requested", "2026-05-16T10:00:00+08:00", event_id="req")
    w = case.warning("det_arrest_request", LATER)
    assert (w.level, w.status, w.late, cst(w.due_at)) == (
        "overdue", "resolved", True, "2026-05-15T00:00:00+08:00")


def test_second_custody_extension_after_the_extended_due_expires():
    case = Case()
    case.add("arrested", MON, event_id="trg")
    case.add("custody_extended", "2026-06-01T10:00:00+08:00", event_id="x1", basis="cpl_156")
    case.add("custody_extended", "2026-08-12T10:00:00+08:00", event_id="x2", basis="cpl_158")
    assert hits(case, "extension_after_expiry") == [["trg", "x2"]]
    assert hits(case, "custody_extension_out_of_order") == []
    w = case.warning("custody_limit", LATER)
    assert (w.level, cst(w.due_at)) == ("overdue", "2026-08-12T00:00:00+08:00")


# --- custody_extension_out_of_order (CPL 156-159) ------------------------------------------

EXT_AT = ["2026-06-01T10:00:00+08:00", "2026-07-20T10:00:00+08:00", "2026-09-20T10:00:00+08:00",
          "2026-11-20T10:00:00+08:00"]


@pytest.mark.parametrize(
    "bases, offending, due",
    [
        (["cpl_158"], ["x1"], "2026-07-12T00:00:00+08:00"),
        (["cpl_159"], ["x1"], "2026-07-12T00:00:00+08:00"),
        (["cpl_156", "cpl_159"], ["x2"], "2026-08-12T00:00:00+08:00"),
        (["cpl_156", "cpl_156"], ["x2"], "2026-08-12T00:00:00+08:00"),
        (["cpl_156", "cpl_158", "cpl_156"], ["x3"], "2026-10-12T00:00:00+08:00"),
        (["cpl_156", "cpl_158", "cpl_159", "cpl_159"], ["x4"], "2026-12-12T00:00:00+08:00"),
        (["cpl_156"], [], "2026-08-12T00:00:00+08:00"),
        (["cpl_156", "cpl_158"], [], "2026-10-12T00:00:00+08:00"),
        (["cpl_156", "cpl_158", "cpl_159"], [], "2026-12-12T00:00:00+08:00"),
    ],
    ids=["158-first", "159-first", "156-159", "156-twice", "156-158-156", "a-fourth",
         "ok-156", "ok-156-158", "ok-156-158-159"],
)
def test_custody_extension_out_of_order(bases, offending, due):
    case = Case()
    case.add("arrested", MON, event_id="trg")
    for n, (basis, at) in enumerate(zip(bases, EXT_AT, strict=False), 1):
        case.add("custody_extended", at, event_id=f"x{n}", basis=basis)
    assert hits(case, "custody_extension_out_of_order") == [["trg", x] for x in offending]
    w = case.warning("custody_limit", LATER)
    assert (w.level, cst(w.due_at)) == ("overdue", due)


def test_order_restarts_after_custody_recounted():
    case = Case()
    case.add("arrested", MON, event_id="trg")
    case.add("custody_extended", "2026-06-01T10:00:00+08:00", event_id="x1", basis="cpl_156")
    case.add("custody_recounted", "2026-06-20T09:00:00+08:00", event_id="rc")
    case.add("custody_extended", "2026-07-01T10:00:00+08:00", event_id="x2", basis="cpl_158")
    assert hits(case, "custody_extension_out_of_order") == [["trg", "x2"]]
    assert cst(case.warning("custody_limit", LATER).due_at) == "2026-08-21T00:00:00+08:00"


# --- supp_investigation_limit (CPL 175③) ---------------------------------------------------

def _returns(case, person, days):
    ids = []
    for n, day in enumerate(days, 1):
        ids.append(case.add("returned_for_supplementary_investigation",
                            f"2026-{day}T10:00:00+08:00", event_id=f"{person}-r{n}",
                            person_id=person))
        case.add("supplementary_investigation_completed", f"2026-{day}T18:00:00+08:00",
                 person_id=person)
    return ids


def test_third_return_raises_supp_investigation_limit():
    case = Case()
    r1, r2, r3 = _returns(case, "P1", ["03-02", "04-01", "05-04"])
    assert_one_violation(case, "supp_investigation_limit", r3, [r1, r2, r3])


@pytest.mark.parametrize(
    "per_person",
    [{"P1": ["03-02"]}, {"P1": ["03-02", "04-01"]}, {"P1": ["03-02", "04-01"], "P2": ["05-04"]}],
    ids=["one", "two", "two-and-another-person's-one"],
)
def test_supp_investigation_limit_not_raised(per_person):
    case = Case()
    for person, days in per_person.items():
        _returns(case, person, days)
    assert hits(case, "supp_investigation_limit") == []


# --- notice_exemption_invalid (CPL 85②, 93②, 75②) and the suspension it denies ------------

MEASURES = {
    # measure: (trigger, trigger details, notice rule)
    "detention": ("detained", {}, "det_family_notice"),
    "arrest": ("arrested", {}, "arrest_family_notice"),
    "designated_rs": ("rs_started", {"designated": True}, "rs_designated_notice"),
}
DUE = "2026-05-12T10:00:00+08:00"  # 24 h after MON


def _notice_case(measure):
    trigger, details, rule = MEASURES[measure]
    case = Case()
    case.add(trigger, MON, event_id="trg", **details)
    return case, rule


@pytest.mark.parametrize("measure", ["arrest", "designated_rs"])
def test_hinders_investigation_is_invalid_for_arrest_and_designated_rs(measure):
    case, rule = _notice_case(measure)
    case.add("family_notice_exempted", "2026-05-11T12:00:00+08:00", event_id="ex",
             measure=measure, reason="hinders_investigation")
    assert_one_violation(case, "notice_exemption_invalid", "ex", ["trg", "ex"])
    w = case.warning(rule, DUE)  # suspends nothing: overdue at the original due
    assert (w.level, w.status, cst(w.due_at)) == ("overdue", "open", DUE)


@pytest.mark.parametrize("measure", ["arrest", "designated_rs"])
def test_invalid_exemption_ended_does_not_re_arm(measure):
    case, rule = _notice_case(measure)
    case.add("family_notice_exempted", "2026-05-11T12:00:00+08:00",
             measure=measure, reason="hinders_investigation")
    case.add("notice_exemption_ended", "2026-05-12T08:00:00+08:00", measure=measure)
    w = case.warning(rule, "2026-05-12T12:00:00+08:00")
    assert (w.level, w.status, cst(w.due_at)) == ("overdue", "open", DUE)


LAWFUL = [("detention", "hinders_investigation"), ("detention", "cannot_notify"),
          ("arrest", "cannot_notify"), ("designated_rs", "cannot_notify")]


@pytest.mark.parametrize("measure, reason", LAWFUL, ids=[f"{m}-{r}" for m, r in LAWFUL])
def test_lawful_exemption_raises_nothing_and_suspends(measure, reason):
    case, rule = _notice_case(measure)
    case.add("family_notice_exempted", "2026-05-11T12:00:00+08:00", measure=measure,
             reason=reason)
    assert hits(case, "notice_exemption_invalid") == []
    assert case.warning(rule, LATER) is None  # exempted before the lead: never raised


@pytest.mark.parametrize("measure, reason", LAWFUL, ids=[f"{m}-{r}" for m, r in LAWFUL])
def test_lawful_exemption_after_the_lead_stops_the_escalation(measure, reason):
    case, rule = _notice_case(measure)
    case.add("family_notice_exempted", "2026-05-12T08:00:00+08:00", measure=measure,
             reason=reason)
    w = case.warning(rule, "2026-05-14T00:00:00+08:00")
    assert (w.level, cst(w.due_at)) == ("approaching", DUE)


def test_exemption_for_another_measure_suspends_nothing():
    case, rule = _notice_case("detention")
    case.add("family_notice_exempted", "2026-05-11T12:00:00+08:00", measure="arrest",
             reason="cannot_notify")
    w = case.warning(rule, DUE)
    assert (w.level, w.status) == ("overdue", "open")


ENDED = "2026-05-14T10:00:00+08:00"  # 72 h after MON, long after the original due
FRESH_DUE = "2026-05-15T10:00:00+08:00"


def _rearmed(measure):
    case, rule = _notice_case(measure)
    reason = "hinders_investigation" if measure == "detention" else "cannot_notify"
    case.add("family_notice_exempted", "2026-05-11T12:00:00+08:00", event_id="ex",
             measure=measure, reason=reason)
    case.add("notice_exemption_ended", ENDED, event_id="end", measure=measure)
    return case, rule


@pytest.mark.parametrize("measure", list(MEASURES))
def test_exemption_ended_re_arms_a_fresh_24h_never_met(measure):
    case, rule = _rearmed(measure)
    w = case.warning(rule, FRESH_DUE)
    assert (w.level, w.status, cst(w.due_at)) == ("overdue", "open", FRESH_DUE)
    assert w.evidence == ["trg", "ex", "end"]


@pytest.mark.parametrize("measure", list(MEASURES))
def test_exemption_ended_re_arms_nothing_due_yet(measure):
    case, rule = _rearmed(measure)
    assert case.warning(rule, t(ENDED) + h(1)) is None


@pytest.mark.parametrize("measure", list(MEASURES))
def test_exemption_ended_re_arms_approaching_at_the_fresh_lead(measure):
    case, rule = _rearmed(measure)
    w = case.warning(rule, "2026-05-15T06:00:00+08:00")
    assert (w.level, w.status, cst(w.due_at)) == ("approaching", "open", FRESH_DUE)


@pytest.mark.parametrize("measure", list(MEASURES))
def test_exemption_ended_then_notified_within_the_fresh_24h_raises_nothing(measure):
    case, rule = _rearmed(measure)
    case.add("family_notified", "2026-05-14T20:00:00+08:00", measure=measure)
    assert case.warning(rule, LATER) is None


@pytest.mark.parametrize("measure", list(MEASURES))
def test_exemption_ended_then_notified_after_the_fresh_lead_is_on_time(measure):
    case, rule = _rearmed(measure)
    case.add("family_notified", "2026-05-15T08:00:00+08:00", event_id="n", measure=measure)
    w = case.warning(rule, LATER)
    assert (w.level, w.status, w.late) == ("approaching", "resolved", False)


@pytest.mark.parametrize("measure", list(MEASURES))
def test_exemption_ended_then_notified_after_the_fresh_due_is_late(measure):
    case, rule = _rearmed(measure)
    case.add("family_notified", "2026-05-15T11:00:00+08:00", event_id="n", measure=measure)
    w = case.warning(rule, LATER)
    assert (w.level, w.status, w.late, cst(w.due_at)) == ("overdue", "resolved", True, FRESH_DUE)
    assert w.evidence == ["trg", "ex", "end", "n"]


def test_exemption_ended_before_the_original_due_counts_24h_from_the_end():
    case, rule = _notice_case("detention")
    case.add("family_notice_exempted", "2026-05-11T12:00:00+08:00", measure="detention",
             reason="cannot_notify")
    case.add("notice_exemption_ended", "2026-05-11T20:00:00+08:00", measure="detention")
    assert case.warning(rule, "2026-05-12T15:59:59+08:00") is None  # the old lead is gone
    w = case.warning(rule, "2026-05-12T16:00:00+08:00")
    assert (w.level, cst(w.due_at)) == ("approaching", "2026-05-12T20:00:00+08:00")


# --- approval_insufficient (local policy) --------------------------------------------------

CHIEF = {"approver_id": "A1", "role": "chief"}
DEPUTY = {"approver_id": "A2", "role": "deputy"}
LEGAL = {"approver_id": "A3", "role": "legal"}

APPROVALS = [
    # event, approvals, flagged ("before" / "after" / None), raised, evidence uses the flag
    ("bail_started", [CHIEF], None, True, False),
    ("bail_started", [], None, True, False),
    ("bail_started", [DEPUTY, {**DEPUTY, "role": "legal"}], None, True, False),
    ("bail_started", [DEPUTY, LEGAL], None, False, False),
    ("rs_started", [LEGAL], None, True, False),
    ("rs_started", [DEPUTY, LEGAL], None, False, False),
    ("bail_started", [DEPUTY, LEGAL], "before", True, True),
    ("rs_started", [DEPUTY, LEGAL], "before", True, True),
    ("bail_started", [CHIEF], "before", False, False),
    ("bail_started", [DEPUTY], "after", True, False),
    ("bail_started", [DEPUTY, LEGAL], "after", False, False),
]


@pytest.mark.parametrize(
    "event, approvals, flagged, raised, with_flag", APPROVALS,
    ids=["bail-one", "bail-none", "bail-same-approver-twice", "bail-two", "rs-one", "rs-two",
         "special-bail-no-chief", "special-rs-no-chief", "special-bail-chief-alone",
         "flagged-after-one", "flagged-after-two"],
)
def test_approval_insufficient(event, approvals, flagged, raised, with_flag):
    case = Case()
    if flagged == "before":
        case.add("case_flagged_special", "2026-05-10T10:00:00+08:00", event_id="flag")
    details = {"approvals": approvals}
    if event == "rs_started":
        details["designated"] = False
    case.add(event, MON, event_id="m", **details)
    if flagged == "after":
        case.add("case_flagged_special", "2026-05-12T10:00:00+08:00", event_id="flag")
    expected = [["flag", "m"] if with_flag else ["m"]] if raised else []
    assert hits(case, "approval_insufficient") == expected


def test_approval_insufficient_identity():
    case = Case()
    case.add("bail_started", MON, event_id="m", approvals=[CHIEF])
    assert_one_violation(case, "approval_insufficient", "m", ["m"])


# --- summons_consecutive (CPL 119③) --------------------------------------------------------

@pytest.mark.parametrize(
    "gap_minutes, person, raised",
    [(479, "P1", True), (60, "P1", True), (480, "P1", False), (600, "P1", False),
     (60, "P2", False)],
    ids=["7h59", "1h", "exactly-8h", "10h", "another-person"],
)
def test_summons_consecutive(gap_minutes, person, raised):
    case = Case()
    case.add("summons_started", "2026-05-11T08:00:00+08:00", event_id="s1")
    case.add("summons_ended", "2026-05-11T18:00:00+08:00", event_id="e1")
    case.add("summons_started", t("2026-05-11T18:00:00+08:00") + h(gap_minutes / 60),
             event_id="s2", person_id=person)
    assert hits(case, "summons_consecutive") == ([["e1", "s2"]] if raised else [])


def test_first_summons_is_not_consecutive():
    case = Case()
    case.add("summons_started", MON)
    assert hits(case, "summons_consecutive") == []


def test_summons_consecutive_identity():
    case = Case()
    case.add("summons_started", "2026-05-11T08:00:00+08:00", event_id="s1")
    case.add("summons_ended", "2026-05-11T18:00:00+08:00", event_id="e1")
    case.add("summons_started", "2026-05-11T20:00:00+08:00", event_id="s2")
    assert_one_violation(case, "summons_consecutive", "s2", ["e1", "s2"])

