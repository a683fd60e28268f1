"""Every deadline rule of rules.md on a plain timeline: on time, late, never met, closed by.

The scenarios (trigger, due_at by the spec's counting, lead, main closer) are in
`rulekit.RULES`; extensions, holidays, month ends and offsets are in test_extensions.py and
test_counting_edges.py.
"""

import pytest
from rulekit import MIN, MON, RULES, SEC, TWO_APPROVERS, Case, RuleCase, cst, h, t

ALL = pytest.mark.parametrize("rc", list(RULES.values()), ids=list(RULES))
PERSON_LEVEL = [r for r in RULES.values() if not r.case_level]


@ALL
def test_met_before_the_lead_opened_raises_nothing(rc: RuleCase):
    case = rc.open_case()
    rc.close(case, rc.lead_opens - MIN)
    assert case.warnings(rc.due_at + h(24 * 40), rc.rule_id) == []


@ALL
def test_met_after_the_lead_opened_is_approaching_resolved_on_time(rc: RuleCase):
    case = rc.open_case()
    rc.close(case, rc.due_at - MIN)
    w = case.warning(rc.rule_id, rc.due_at + h(24 * 40))
    assert (w.level, w.status, w.late) == ("approaching", "resolved", False)
    assert (w.due_at, w.resolved_at) == (rc.due_at, rc.due_at - MIN)
    assert w.changed_at == rc.due_at - MIN
    assert w.evidence == ["trg", "close"]


@ALL
def test_met_late_is_overdue_resolved_late(rc: RuleCase):
    case = rc.open_case()
    rc.close(case, rc.due_at + MIN)
    w = case.warning(rc.rule_id, rc.due_at + h(24 * 40))
    assert (w.level, w.status, w.late) == ("overdue", "resolved", True)
    assert (w.due_at, w.resolved_at) == (rc.due_at, rc.due_at + MIN)
    assert w.evidence == ["trg", "close"]


@ALL
def test_never_met_is_overdue_and_open(rc: RuleCase):
    case = rc.open_case()
    w = case.warning(rc.rule_id, rc.due_at + h(24 * 40))
    assert (w.level, w.status, w.late, w.resolved_at) == ("overdue", "open", None, None)
    assert cst(w.due_at) == rc.due
    assert w.changed_at == rc.due_at
    assert (w.case_id, w.person_id, w.unit_id) == ("C1", rc.person, "U1")
    assert w.evidence == ["trg"]


@ALL
@pytest.mark.parametrize(
    "offset, expected",
    [
        pytest.param("before_lead", None, id="1s-before-lead"),
        pytest.param("lead", "approaching", id="at-lead"),
        pytest.param("before_due", "approaching", id="1s-before-due"),
        pytest.param("due", "overdue", id="at-due"),
    ],
)
def test_level_by_instant_without_further_events(rc: RuleCase, offset, expected):
    now = {
        "before_lead": rc.lead_opens - SEC,
        "lead": rc.lead_opens,
        "before_due": rc.due_at - SEC,
        "due": rc.due_at,
    }[offset]
    w = rc.open_case().warning(rc.rule_id, now)
    assert (w.level if w else None) == expected


@ALL
def test_closing_event_after_now_is_not_applied(rc: RuleCase):
    case = rc.open_case()
    rc.close(case, rc.due_at + h(1))
    w = case.warning(rc.rule_id, rc.due_at + MIN)
    assert (w.level, w.status, w.late) == ("overdue", "open", None)


CLOSERS = [
    ("det_transfer_to_jail", "sent_to_jail", {}),
    ("det_transfer_to_jail", "released", {}),
    ("det_family_notice", "family_notified", {"measure": "detention"}),
    ("det_first_interrogation", "interrogated", {}),
    ("det_first_interrogation", "released", {}),
    ("det_arrest_request", "arrest_requested", {}),
    ("det_arrest_request", "released", {}),
    ("det_arrest_request", "bail_started", {}),
    ("det_arrest_request", "rs_started", {}),
    ("arrest_decision_wait", "arrest_approved", {}),
    ("arrest_decision_wait", "arrest_denied", {}),
    ("arrest_decision_wait", "released", {}),
    ("release_on_denial", "released", {}),
    ("release_on_denial", "bail_started", {}),
    ("release_on_denial", "rs_started", {}),
    ("arrest_execution", "arrested", {}),
    ("arrest_execution", "released", {}),
    ("arrest_family_notice", "family_notified", {"measure": "arrest"}),
    ("arrest_first_interrogation", "interrogated", {}),
    ("custody_limit", "transferred_for_prosecution", {}),
    ("custody_limit", "released", {}),
    ("custody_limit", "bail_started", {}),
    ("custody_limit", "rs_started", {}),
    ("bail_limit", "bail_ended", {}),
    ("bail_limit", "transferred_for_prosecution", {}),
    ("bail_limit", "arrested", {}),
    ("bail_limit", "rs_started", {}),
    ("rs_limit", "rs_ended", {}),
    ("rs_limit", "transferred_for_prosecution", {}),
    ("rs_limit", "arrested", {}),
    ("rs_limit", "bail_started", {}),
    ("rs_designated_notice", "family_notified", {"measure": "designated_rs"}),
    ("supp_investigation", "supplementary_investigation_completed", {}),
    ("summons_duration", "summons_ended", {}),
    ("summons_duration", "detained", {}),
    ("summons_duration", "arrested", {}),
    ("summons_duration", "released", {}),
    ("measure_change_reply", "measure_change_decided", {}),
    ("adm_questioning", "admin_questioning_ended", {}),
    ("adm_case_limit", "admin_case_decided", {}),
    ("adm_decision_delivery", "admin_decision_served", {}),
    ("filing_review", "filing_decided", {"filed": True}),
    ("filing_review", "filing_decided", {"filed": False}),
    ("continued_questioning", "continued_questioning_ended", {}),
    ("continued_questioning", "released", {}),
    ("continued_questioning", "sent_to_jail", {}),
    ("continued_questioning", "admin_detention_executed", {}),
    ("continued_questioning_family_notice", "family_notified",
     {"measure": "continued_questioning"}),
    ("property_handover", "property_handed_over", {"property_id": "X1"}),
    ("property_handover", "property_disposed", {"property_id": "X1"}),
    ("admin_detention_family_notice", "family_notified", {"measure": "admin_detention"}),
    ("lawyer_meeting", "lawyer_meeting_held", {}),
    ("lawyer_meeting", "released", {}),
    ("lawyer_meeting", "bail_started", {}),
    ("lawyer_meeting", "rs_started", {}),
]


@pytest.mark.parametrize(
    "rule_id, closer, details", CLOSERS, ids=[f"{r}-{c}" for r, c, _ in CLOSERS]
)
def test_closed_by_each_closing_event_of_the_spec(rule_id, closer, details):
    rc = RULES[rule_id]
    case = rc.open_case()
    case.add(closer, rc.due_at - h(1), event_id="close", **details)
    w = case.warning(rule_id, rc.due_at + h(24 * 40))
    assert (w.level, w.status, w.late, w.resolved_at) == (
        "approaching", "resolved", False, rc.due_at - h(1))
    assert w.evidence == ["trg", "close"]


NOT_CLOSERS = [
    ("det_family_notice", "family_notified", {"measure": "arrest"}),
    ("det_family_notice", "family_notified", {"measure": "designated_rs"}),
    ("arrest_family_notice", "family_notified", {"measure": "detention"}),
    ("rs_designated_notice", "family_notified", {"measure": "detention"}),
    ("det_transfer_to_jail", "interrogated", {}),
    ("det_first_interrogation", "sent_to_jail", {}),
    ("det_arrest_request", "sent_to_jail", {}),
    ("arrest_first_interrogation", "released", {}),
    ("arrest_execution", "interrogated", {}),
    ("arrest_decision_wait", "interrogated", {}),
    ("bail_limit", "rs_ended", {}),
    ("rs_limit", "bail_ended", {}),
    ("summons_duration", "interrogated", {}),
    ("measure_change_reply", "released", {}),
    ("adm_questioning", "admin_case_decided", {}),
    ("supp_investigation", "transferred_for_prosecution", {}),
    ("filing_review", "admin_case_decided", {}),
    ("continued_questioning", "detained", {}),  # runs on until handed to the facility (CQ 11②)
    ("continued_questioning", "summons_ended", {}),
    ("continued_questioning_family_notice", "family_notified", {"measure": "detention"}),
    ("continued_questioning_family_notice", "released", {}),
    ("property_handover", "property_handed_over", {"property_id": "X2"}),  # another item
    ("property_handover", "property_disposed", {"property_id": "X2"}),
    ("admin_detention_family_notice", "family_notified", {"measure": "detention"}),
    ("admin_detention_family_notice", "admin_detention_executed", {}),
    ("lawyer_meeting", "interrogated", {}),
    ("lawyer_meeting", "sent_to_jail", {}),
]


@pytest.mark.parametrize(
    "rule_id, event_type, details", NOT_CLOSERS,
    ids=[f"{r}-{e}-{'-'.join(map(str, x.values()))}".rstrip("-") for r, e, x in NOT_CLOSERS],
)
def test_other_events_do_not_close(rule_id, event_type, details):
    rc = RULES[rule_id]
    case = rc.open_case()
    case.add(event_type, rc.lead_opens - h(1), event_id="other", **details)
    w = case.warning(rule_id, rc.due_at + h(1))
    assert (w.level, w.status, w.late) == ("overdue", "open", None)
    assert w.due_at == rc.due_at


@pytest.mark.parametrize("rc", PERSON_LEVEL, ids=[r.rule_id for r in PERSON_LEVEL])
def test_closing_event_of_another_person_does_not_close(rc: RuleCase):
    case = rc.open_case()
    case.add(rc.closer, rc.due_at - h(1), event_id="close", person_id="P2", **rc.closer_details)
    w = case.warning(rc.rule_id, rc.due_at + h(1))
    assert (w.level, w.status, w.person_id) == ("overdue", "open", "P1")


@pytest.mark.parametrize(
    "rule_id, earlier, details",
    [
        ("arrest_first_interrogation", "interrogated", {}),
        ("det_first_interrogation", "interrogated", {}),
        ("det_family_notice", "family_notified", {"measure": "detention"}),
        ("arrest_family_notice", "family_notified", {"measure": "arrest"}),
    ],
    ids=["interrogated-before-arrest", "interrogated-before-detention",
         "notified-before-detention", "notified-before-arrest"],
)
def test_closing_event_before_the_trigger_does_not_close(rule_id, earlier, details):
    rc = RULES[rule_id]
    case = Case()
    case.add(earlier, rc.at, event_id="early", **details)
    case.add(rc.trigger, t(rc.at) + h(1), event_id="trg")  # the trigger an hour later
    w = case.warning(rule_id, t(rc.at) + h(26))
    assert (w.level, w.status, w.due_at) == ("overdue", "open", t(rc.at) + h(25))
    assert w.evidence == ["trg"]


def test_rs_designated_notice_only_for_designated_residence():
    case = Case()
    case.add("rs_started", RULES["rs_designated_notice"].at, designated=False,
             approvals=TWO_APPROVERS)
    assert case.warnings("2026-05-20T00:00:00+08:00", "rs_designated_notice") == []


def test_a_deadline_fires_without_further_events_next_at():
    # det_* rules (24 h, lead 4 h) open their lead at 06:00 the next day.
    rc = RULES["det_family_notice"]
    result = rc.open_case().result(rc.at)
    assert cst(result.next_at) == "2026-05-12T06:00:00+08:00"


def test_two_persons_each_get_their_own_obligation():
    rc = RULES["det_family_notice"]
    case = rc.open_case()
    case.add("detained", rc.at, event_id="trg2", person_id="P2")
    case.add("family_notified", rc.due_at - h(1), person_id="P2", measure="detention")
    found = {w.person_id: (w.level, w.status) for w in
             case.warnings(rc.due_at + h(1), "det_family_notice")}
    assert found == {"P1": ("overdue", "open"), "P2": ("approaching", "resolved")}


def test_closing_event_at_the_same_instant_but_ordered_before_the_trigger_does_not_close():
    case = Case()
    case.add("interrogated", MON, event_id="a-interrogated")  # detention-phase interrogation
    case.add("arrested", MON, event_id="b-arrested")
    w = case.warning("arrest_first_interrogation", "2026-05-12T11:00:00+08:00")
    assert (w.level, w.status) == ("overdue", "open")


def test_closing_event_at_the_same_instant_ordered_after_the_trigger_closes():
    case = Case()
    case.add("arrested", MON, event_id="a-arrested")
    case.add("interrogated", MON, event_id="b-interrogated")
    assert case.warnings("2026-05-13T00:00:00+08:00", "arrest_first_interrogation") == []


@ALL
def test_warning_carries_basis_messages_and_due(rc: RuleCase):
    from rules.catalogue import load_catalogue

    rule = load_catalogue().by_id[rc.rule_id]
    w = rc.open_case().warning(rc.rule_id, rc.due_at + h(1))
    assert [(b.ref, b.text_zh) for b in w.basis] == [(b.ref, b.text_zh) for b in rule.basis]
    local_due = rc.due[:10] + " " + rc.due[11:16]
    assert local_due in w.message_zh and local_due in w.message_en
    assert w.message_zh.startswith("【超期】案件 C1")
    assert w.message_en.startswith("[overdue] case C1")
    assert w.rule_kind == rule.kind


@pytest.mark.parametrize("rule_id", ["det_family_notice", "measure_change_reply"])
def test_closing_event_at_exactly_the_due_is_not_late(rule_id):
    rc = RULES[rule_id]
    case = rc.open_case()
    rc.close(case, rc.due_at)
    w = case.warning(rc.rule_id, rc.due_at + h(24 * 40))
    assert (w.status, w.late, w.resolved_at) == ("resolved", False, rc.due_at)


def test_lawyer_meeting_needing_permission_opens_no_48_hour_duty():
    rc = RULES["lawyer_meeting"]
    case = Case()
    case.add("lawyer_meeting_requested", rc.at, approval_required=True)
    assert case.warnings(rc.due_at + h(24 * 40), "lawyer_meeting") == []


def test_each_seized_item_is_its_own_obligation_closed_by_its_own_hand_over():
    rc = RULES["property_handover"]
    case = Case()
    case.add("property_seized", rc.at, event_id="s1", property_id="X1")
    case.add("property_seized", rc.at, event_id="s2", property_id="X2")
    case.add("property_handed_over", rc.due_at - h(1), event_id="h2", property_id="X2")
    found = {tuple(w.evidence): (w.level, w.status)
             for w in case.warnings(rc.due_at + h(1), "property_handover")}
    assert found == {("s1",): ("overdue", "open"), ("s2", "h2"): ("approaching", "resolved")}


def test_a_hand_over_before_the_seizure_of_its_item_does_not_close():
    rc = RULES["property_handover"]
    case = Case()
    case.add("property_handed_over", rc.at, event_id="early", property_id="X1")
    case.add("property_seized", t(rc.at) + h(1), event_id="trg", property_id="X1")
    w = case.warning("property_handover", t(rc.at) + h(26))
    assert (w.level, w.status, w.evidence) == ("overdue", "open", ["trg"])
