"""The rule catalogue as data (rules/catalogue/*.toml) against the tables of docs/rules.md and
the law texts in docs/law; broken rule files are refused with CatalogueError."""

import re
import shutil
import tomllib

import pytest
from rulekit import (
    DEADLINE_RULE_IDS,
    LAW_DIR,
    VIOLATION_RULE_IDS,
    article_heading,
    article_number,
    article_of,
)

from rules.catalogue import CATALOGUE_DIR, CatalogueError, load_catalogue
from rules.checks import CHECKS
from rules.durations import Duration

CATALOGUE = load_catalogue()
RULE_FILES = sorted(CATALOGUE_DIR.glob("*.toml"))


def test_exactly_27_deadline_and_8_violation_rules():
    assert {r.id for r in CATALOGUE.deadlines} == DEADLINE_RULE_IDS
    assert {r.id for r in CATALOGUE.violations} == VIOLATION_RULE_IDS
    assert (len(CATALOGUE.deadlines), len(CATALOGUE.violations)) == (27, 8)


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_every_rule_file_loads_with_its_file_name_as_id(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["id"] == path.stem
    assert path.stem in CATALOGUE.by_id
    assert len(RULE_FILES) == 35


def mo(n): return Duration(n, "months")
def dd(n): return Duration(n, "days")
def hh(n): return Duration(n, "hours")


# rules.md "Rules" table: kind, trigger, period, closed by (case_closed applies to every
# obligation, see test_retraction_and_closing.py), lead, hol. (None where "–": hour periods).
SPEC_TABLE = {
    "det_transfer_to_jail": ("statutory", ("detained", ()), hh(24),
                             {"sent_to_jail", "released"}, hh(4), None),
    "det_family_notice": ("statutory", ("detained", ()), hh(24),
                          {("family_notified", "detention")}, hh(4), None),
    "det_first_interrogation": ("statutory", ("detained", ()), hh(24),
                                {"interrogated", "released"}, hh(4), None),
    "det_arrest_request": ("statutory", ("detained", ()), dd(3),
                           {"arrest_requested", "released", "bail_started", "rs_started"},
                           hh(24), False),
    "arrest_decision_wait": ("statutory", ("arrest_requested", ()), dd(7),
                             {"arrest_approved", "arrest_denied", "released"}, hh(48), False),
    "release_on_denial": ("policy", ("arrest_denied", ()), hh(12),
                          {"released", "bail_started", "rs_started"}, hh(4), None),
    "arrest_execution": ("policy", ("arrest_approved", ()), hh(24),
                         {"arrested", "released"}, hh(4), None),
    "arrest_family_notice": ("statutory", ("arrested", ()), hh(24),
                             {("family_notified", "arrest")}, hh(4), None),
    "arrest_first_interrogation": ("statutory", ("arrested", ()), hh(24),
                                   {"interrogated"}, hh(4), None),
    "custody_limit": ("statutory", ("arrested", ()), mo(2),
                      {"transferred_for_prosecution", "released", "bail_started", "rs_started"},
                      dd(15), False),
    "bail_limit": ("statutory", ("bail_started", ()), mo(12),
                   {"bail_ended", "transferred_for_prosecution", "arrested", "rs_started"},
                   dd(30), True),
    "rs_limit": ("statutory", ("rs_started", ()), mo(6),
                 {"rs_ended", "transferred_for_prosecution", "arrested", "bail_started"},
                 dd(15), True),
    "rs_designated_notice": ("statutory", ("rs_started", (("designated", True),)), hh(24),
                             {("family_notified", "designated_rs")}, hh(4), None),
    "supp_investigation": ("statutory", ("returned_for_supplementary_investigation", ()),
                           mo(1), {"supplementary_investigation_completed"}, dd(7), True),
    "summons_duration": ("statutory", ("summons_started", ()), hh(12),
                         {"summons_ended", "detained", "arrested", "released"}, hh(2), None),
    "measure_change_reply": ("statutory", ("measure_change_requested", ()), dd(3),
                             {"measure_change_decided"}, hh(24), True),
    "adm_questioning": ("statutory", ("admin_questioning_started", ()), hh(8),
                        {"admin_questioning_ended"}, hh(2), None),
    "adm_case_limit": ("statutory", ("admin_case_accepted", ()), dd(30),
                       {"admin_case_decided"}, dd(5), True),
    "adm_decision_delivery": ("statutory", ("admin_case_decided", ()), dd(2),
                              {"admin_decision_served"}, hh(12), True),
    "filing_review": ("statutory", ("criminal_case_accepted", ()), dd(3), {"filing_decided"},
                      hh(24), True),
    "continued_questioning": ("statutory", ("continued_questioning_started", ()), hh(12),
                              {"continued_questioning_ended", "released", "sent_to_jail",
                               "admin_detention_executed"}, hh(2), None),
    "continued_questioning_family_notice": (
        "policy", ("continued_questioning_started", ()), hh(4),
        {("family_notified", "continued_questioning")}, hh(2), None),
    "property_handover": ("statutory", ("property_seized", ()), hh(24),
                          {("property_handed_over", "=property_id"),
                           ("property_disposed", "=property_id")}, hh(4), None),
    "property_disposal": ("policy", ("property_seized", ()), dd(3),
                          {("property_disposed", "=property_id")}, hh(24), True),
    "admin_detention_family_notice": ("policy", ("admin_detention_decided", ()), hh(24),
                                      {("family_notified", "admin_detention")}, hh(4), None),
    "visit_after_closure": ("policy", ("case_closed", ()), dd(30), {"visit_made", "visit_result"},
                            dd(7), True),
    "lawyer_meeting": ("statutory",
                       ("lawyer_meeting_requested", (("approval_required", False),)), hh(48),
                       {"lawyer_meeting_held", "released", "bail_started", "rs_started"},
                       hh(12), None),
}


def _closer(c):
    """(event, where, same): a name; (name, measure); or (name, "=field") for `same`."""
    if isinstance(c, str):
        return c, (), ()
    if c[1].startswith("="):
        return c[0], (), (c[1][1:],)
    return c[0], (("measure", c[1]),), ()


@pytest.mark.parametrize("rule_id", sorted(SPEC_TABLE))
def test_deadline_rule_matches_the_spec_table(rule_id):
    kind, trigger, period, closers, lead, hol = SPEC_TABLE[rule_id]
    rule = CATALOGUE.by_id[rule_id]
    assert (rule.kind, (rule.trigger.event, rule.trigger.where)) == (kind, trigger)
    assert (rule.period, rule.lead) == (period, lead)
    listed = {(m.event, m.where, m.same) for m in rule.closed_by}
    assert listed == {_closer(c) for c in closers}
    if hol is not None:
        assert rule.holiday_extends is hol


@pytest.mark.parametrize(
    "rule_id, kind",
    [("det_extension_unjustified", "statutory"), ("extension_after_expiry", "statutory"),
     ("custody_extension_out_of_order", "statutory"), ("supp_investigation_limit", "statutory"),
     ("notice_exemption_invalid", "statutory"), ("approval_insufficient", "policy"),
     ("summons_consecutive", "policy"), ("evidence_checklist", "statutory")],
)
def test_violation_rule_kind(rule_id, kind):
    assert CATALOGUE.by_id[rule_id].kind == kind


EXTENSIONS = {
    # rule: [(event, where, period, lead, step, requires any_of, unmet violation)]
    "det_arrest_request": [
        ("detention_period_extended", (("to_days", 7),), dd(7), hh(24), None, None, None),
        ("detention_period_extended", (("to_days", 30),), dd(30), dd(5), None,
         {"roving", "repeated", "group"}, "det_extension_unjustified"),
    ],
    "custody_limit": [
        ("custody_extended", (("basis", "cpl_156"),), mo(3), None, 1, None, None),
        ("custody_extended", (("basis", "cpl_158"),), mo(5), None, 2, None, None),
        ("custody_extended", (("basis", "cpl_159"),), mo(7), None, 3, None, None),
    ],
    "summons_duration": [("summons_extended", (), hh(24), None, None, None, None)],
    "adm_questioning": [("admin_questioning_extended", (), hh(24), None, None, None, None)],
    "adm_case_limit": [("admin_case_extended", (), dd(60), None, None, None, None)],
    "filing_review": [
        ("filing_review_extended", (("to_days", 7),), dd(7), hh(24), None, None, None),
        ("filing_review_extended", (("to_days", 30),), dd(30), dd(5), None, None, None),
    ],
    "continued_questioning": [  # successive: the first extension to 24 h, the second to 48 h
        ("continued_questioning_extended", (), hh(24), None, 1, None, None),
        ("continued_questioning_extended", (), hh(48), hh(4), 2, None, None),
    ],
}


@pytest.mark.parametrize("rule_id", sorted(DEADLINE_RULE_IDS))
def test_extensions_match_the_spec(rule_id):
    rule = CATALOGUE.by_id[rule_id]
    found = [
        (x.match.event, x.match.where, x.period, x.lead, x.step,
         set(x.requires.any_of) if x.requires else None, x.unmet_violation)
        for x in rule.extensions
    ]
    assert found == EXTENSIONS.get(rule_id, [])


def test_custody_limit_order_and_recount():
    rule = CATALOGUE.by_id["custody_limit"]
    assert rule.order_violation == "custody_extension_out_of_order"
    assert [(m.event, m.where) for m in rule.restarted_by] == [("custody_recounted", ())]


def test_continued_questioning_has_no_order_violation():
    # CQ 17②: no direct 12 -> 48 h; a third extension is unlawful too, and extends nothing.
    assert CATALOGUE.by_id["continued_questioning"].order_violation is None


def test_only_property_disposal_starts_at_the_case_decision():
    assert {r.id: [(m.event, m.where) for m in r.started_by]
            for r in CATALOGUE.deadlines if r.started_by} == {
        "property_disposal": [("admin_case_decided", ()), ("case_closed", ())]}


@pytest.mark.parametrize(
    "rule_id, measure, lawful",
    [("det_family_notice", "detention", {"cannot_notify", "hinders_investigation"}),
     ("arrest_family_notice", "arrest", {"cannot_notify"}),
     ("rs_designated_notice", "designated_rs", {"cannot_notify"}),
     ("continued_questioning_family_notice", "continued_questioning", {"cannot_notify"}),
     ("admin_detention_family_notice", "admin_detention", {"cannot_notify"})],
)
def test_notice_suspensions(rule_id, measure, lawful):
    s = CATALOGUE.by_id[rule_id].suspension
    assert (s.exempted_by.event, s.exempted_by.where) == (
        "family_notice_exempted", (("measure", measure),))
    assert (s.resumed_by.event, s.resumed_by.where) == (
        "notice_exemption_ended", (("measure", measure),))
    assert (set(s.lawful_reasons), s.resume_period, s.invalid_violation) == (
        lawful, CATALOGUE.by_id[rule_id].period, "notice_exemption_invalid")


def test_only_the_five_notice_rules_are_suspendable():
    assert {r.id for r in CATALOGUE.deadlines if r.suspension} == {
        "det_family_notice", "arrest_family_notice", "rs_designated_notice",
        "continued_questioning_family_notice", "admin_detention_family_notice"}


@pytest.mark.parametrize(
    "rule_id, check",
    [("supp_investigation_limit",
      {"type": "count", "event": "returned_for_supplementary_investigation", "max": 2}),
     ("summons_consecutive",
      {"type": "min_gap", "event": "summons_started", "after": "summons_ended",
       "min_gap": "8h"}),
     ("approval_insufficient",
      {"type": "approvals", "events": ["bail_started", "rs_started"],
       "special_flag_event": "case_flagged_special", "special_requires_role": "chief",
       "min_distinct_approvers": 2}),
     ("evidence_checklist",
      {"type": "checklist", "stages": [
          {"event": "arrest_requested", "label_en": "the arrest request",
           "documents": ["case_filing_decision", "rights_notice", "interrogation_record",
                         "arrest_request_form"]},
          {"event": "transferred_for_prosecution", "label_en": "the transfer for prosecution",
           "documents": ["case_filing_decision", "rights_notice", "interrogation_record",
                         "prosecution_opinion"]}]})],
)
def test_standalone_violation_checks(rule_id, check):
    rule = CATALOGUE.by_id[rule_id]
    assert rule.check == check
    assert rule.check["type"] in CHECKS


# --- legal basis ---------------------------------------------------------------------------

BASES = [(r.id, b) for r in (*CATALOGUE.deadlines, *CATALOGUE.violations) for b in r.basis]
QUOTED = [(rid, b) for rid, b in BASES if b.law]


def test_every_rule_cites_a_law_it_quotes():
    quoting = {rid for rid, _ in QUOTED}
    # the satisfaction visit is a local policy with no law to quote
    assert (DEADLINE_RULE_IDS | VIOLATION_RULE_IDS) - quoting == {"visit_after_closure"}


@pytest.mark.parametrize("rule_id, basis", QUOTED, ids=[f"{r}-{b.ref}" for r, b in QUOTED])
def test_basis_text_is_verbatim_in_the_law(rule_id, basis):
    law = (LAW_DIR / basis.law).read_text(encoding="utf-8")
    assert basis.text_zh in law


@pytest.mark.parametrize("n, heading", [(9, "第九条"), (10, "第十条"), (85, "第八十五条"),
                                        (105, "第一百零五条"), (119, "第一百一十九条"),
                                        (160, "第一百六十条")])
def test_article_heading_helper(n, heading):
    assert article_heading(n) == heading


@pytest.mark.parametrize("ref, number", [("CPL 91①", 91), ("MPS 187③", 187), ("PPL 9", 9),
                                         ("公安部关于改革完善受案立案制度的意见 (2015)", None)])
def test_article_number_of_a_ref(ref, number):
    assert article_number(ref) == number


ARTICLED = [(rid, b) for rid, b in QUOTED if article_number(b.ref) is not None]


def test_only_the_filing_opinions_are_cited_without_an_article():
    assert {b.law for _, b in QUOTED if article_number(b.ref) is None} == {
        "mps-case-acceptance-opinions-2015.md"}


@pytest.mark.parametrize("rule_id, basis", ARTICLED, ids=[f"{r}-{b.ref}" for r, b in ARTICLED])
def test_basis_text_is_in_the_article_its_ref_names(rule_id, basis):
    assert basis.text_zh in article_of(basis)


@pytest.mark.parametrize("rule_id", sorted(DEADLINE_RULE_IDS))
def test_deadline_messages_carry_the_due(rule_id):
    rule = CATALOGUE.by_id[rule_id]
    for level in ("approaching", "overdue"):
        zh, en = rule.message(level)
        assert "{due_at}" in zh and "{due_at}" in en


def test_a_level_message_replaces_the_message_at_its_level_only():
    rule = CATALOGUE.by_id["custody_limit"]
    assert rule.message("approaching") == (rule.message_zh, rule.message_en)
    assert rule.message("overdue") != rule.message("approaching")
    assert "已届满" in rule.message("overdue")[0]


# --- broken rule files ---------------------------------------------------------------------

@pytest.fixture
def catalogue_copy(tmp_path):
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, target)
    return target


def test_an_unmodified_copy_loads(catalogue_copy):
    copy = load_catalogue(catalogue_copy)
    assert (len(copy.deadlines), len(copy.violations)) == (27, 8)


def _break(directory, file, old, new):
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = [
    ("det_family_notice.toml", 'trigger = { event = "detained" }',
     'trigger = { event = "detention" }'),
    ("det_transfer_to_jail.toml", '{ event = "sent_to_jail" }', '{ event = "jailed" }'),
    ("summons_duration.toml", 'event = "summons_extended"', 'event = "summons_prolonged"'),
    ("det_arrest_request.toml", 'period = "3d"', 'period = "3x"'),
    ("det_arrest_request.toml", 'lead = "24h"', 'lead = "3x"'),
    ("det_arrest_request.toml", 'period = "3d"', 'period = "0d"'),
    ("custody_limit.toml", 'id = "custody_limit"', 'id = "custody_limits"'),
    ("bail_limit.toml", 'kind = "statutory"', 'kind = "mandatory"'),
    ("rs_limit.toml", 'lead = "15d"', ''),
    ("adm_case_limit.toml", 'id = "adm_case_limit"', 'id = "adm_case_limit'),
    ("det_arrest_request.toml", 'unmet_violation = "det_extension_unjustified"',
     'unmet_violation = "det_extension_unknown"'),
    ("arrest_family_notice.toml", 'invalid_violation = "notice_exemption_invalid"',
     'invalid_violation = "nope"'),
    ("property_handover.toml", 'same = ["property_id"] },\n  { event = "property_disposed"',
     'same = ["facility_id"] },\n  { event = "property_disposed"'),
    ("property_handover.toml", 'trigger = { event = "property_seized" }',
     'trigger = { event = "property_seized", same = ["property_id"] }'),
    ("property_disposal.toml", '{ event = "admin_case_decided" }', '{ event = "case_decided" }'),
    ("evidence_checklist.toml", 'type = "checklist"', 'type = "checkbox"'),
    ("evidence_checklist.toml", '"arrest_request_form"]', '"arrest_request_from"]'),
    ("evidence_checklist.toml", 'event = "arrest_requested"', 'event = "case_closed"'),
    ("evidence_checklist.toml", 'label_en = "the arrest request"\n', ''),
    ("property_handover.toml", 'event = "property_handed_over", same',
     'event = "interrogated", same'),
]


@pytest.mark.parametrize(
    "file, old, new", BROKEN,
    ids=["unknown-trigger-event", "unknown-closing-event", "unknown-extension-event",
         "bad-period-3x", "bad-lead-3x", "zero-period", "id-differs-from-file-name",
         "bad-kind", "missing-lead", "bad-toml", "unknown-unmet-violation",
         "unknown-invalid-violation", "same-field-not-in-the-events", "same-on-the-trigger",
         "unknown-start-event", "unknown-check-type", "checklist-unknown-document",
         "checklist-case-level-stage", "checklist-stage-without-label",
         "same-field-the-closer-lacks"],
)
def test_broken_rule_file_raises_catalogue_error(catalogue_copy, file, old, new):
    _break(catalogue_copy, file, old, new)
    with pytest.raises(CatalogueError):
        load_catalogue(catalogue_copy)


@pytest.mark.parametrize("file, old, new", BROKEN[:8])
def test_catalogue_error_names_the_file(catalogue_copy, file, old, new):
    _break(catalogue_copy, file, old, new)
    with pytest.raises(CatalogueError, match=re.escape(file)):
        load_catalogue(catalogue_copy)


@pytest.mark.parametrize("file, old, new", [
    ("custody_limit.toml", "\n[message.overdue]\n", "\n[message.violation]\n"),
    ("custody_limit.toml", "\n[message.overdue]\n", "\n[message.urgent]\n"),
    ("custody_limit.toml", "[message.overdue]\nzh = ", "[message.overdue]\nzh_tw = "),
    ("custody_limit.toml", "[message.overdue]\nzh = ", "[message.overdue]\nzh = 1\nx = "),
    ("custody_limit.toml", '[message]\nzh = "', '[message]\nzh = " "\nx = "'),
    ("summons_consecutive.toml", "[message]", '[message.overdue]\nzh = "a"\nen = "b"\n\n[message]'),
], ids=["violation-level", "unknown-level", "level-without-zh", "level-zh-not-text",
        "blank-message", "level-message-in-a-violation-rule"])
def test_a_bad_level_message_is_refused(catalogue_copy, file, old, new):
    _break(catalogue_copy, file, old, new)
    with pytest.raises(CatalogueError, match=re.escape(file)):
        load_catalogue(catalogue_copy)


def test_copied_file_under_another_name_is_refused(catalogue_copy):
    shutil.copy(catalogue_copy / "det_family_notice.toml", catalogue_copy / "det_notice.toml")
    with pytest.raises(CatalogueError, match="det_notice.toml"):
        load_catalogue(catalogue_copy)


def test_catalogue_without_extension_after_expiry_is_refused(catalogue_copy):
    (catalogue_copy / "extension_after_expiry.toml").unlink()
    with pytest.raises(CatalogueError):
        load_catalogue(catalogue_copy)
