"""rules.ruleset_diff: evaluating only the rules a change touches, only the event types they
read and only the cases they start from gives exactly the warnings (and so the changes)
that evaluating both whole rule sets over every event gives."""

import json
from collections import defaultdict
from datetime import datetime

import pytest

from cli.lifecycles import generate_events
from rules.engine import Engine
from rules.ruleset import load_ruleset
from rules.ruleset_diff import (
    ADDED,
    OTHER,
    RELEVELLED,
    REMOVED,
    RETIMED,
    changes,
    diff_rulesets,
    in_window,
)
from schemas.event import parse_event
from tests.support.rulesets import copy_rules, edit

CURRENT = load_ruleset()


def lead_and_period(d):
    edit(d / "catalogue/custody_limit.toml", 'lead = "15d"', 'lead = "20d"')
    edit(d / "catalogue/custody_limit.toml", 'period = "2mo"', 'period = "3mo"')


def longer_notice_lead(d):
    edit(d / "catalogue/det_family_notice.toml", 'lead = "4h"', 'lead = "8h"')


def shared_violation_reworded(d):
    edit(d / "catalogue/extension_after_expiry.toml", "不能使已届满的期限复活", "不能使期限复活")


def rule_removed(d):
    (d / "catalogue/release_on_denial.toml").unlink()


def rule_added(d):
    text = (d / "catalogue/det_first_interrogation.toml").read_text(encoding="utf-8")
    text = text.replace('id = "det_first_interrogation"', 'id = "det_first_interrogation_12h"')
    (d / "catalogue/det_first_interrogation_12h.toml").write_text(
        text.replace('period = "24h"', 'period = "12h"'), encoding="utf-8")


def exemption_narrowed(d):
    edit(d / "catalogue/det_family_notice.toml",
         'lawful_reasons = ["cannot_notify", "hinders_investigation"]',
         'lawful_reasons = ["cannot_notify"]')


def check_tightened(d):
    edit(d / "catalogue/approval_insufficient.toml", "min_distinct_approvers = 2",
         "min_distinct_approvers = 3")


def checklist_shortened(d):
    edit(d / "catalogue/evidence_checklist.toml",
         '["case_filing_decision", "rights_notice", "interrogation_record", "arrest_request_form"]',
         '["case_filing_decision", "interrogation_record", "arrest_request_form"]')


def disposal_sooner(d):  # a period that runs from a later event (started_by)
    edit(d / "catalogue/property_disposal.toml", 'period = "3d"', 'period = "1d"')


def handover_lead_longer(d):  # closed only by an event about the same item (same)
    edit(d / "catalogue/property_handover.toml", 'lead = "4h"', 'lead = "12h"')


def meeting_sooner(d):
    edit(d / "catalogue/lawyer_meeting.toml", 'period = "48h"', 'period = "24h"')


#: 2027 is a year the holiday package does not cover yet: rules/calendar.toml decides it
HOLIDAYS_2027 = [f"2027-{m:02d}-{d:02d}" for m in range(1, 13) for d in (4, 5, 11, 12, 18)]


def calendar_changed(d):
    edit(d / "calendar.toml", "extra_holidays = []", f"extra_holidays = {HOLIDAYS_2027!r}")


PROPOSALS = [lead_and_period, longer_notice_lead, shared_violation_reworded, rule_removed,
             rule_added, exemption_narrowed, check_tightened, calendar_changed,
             checklist_shortened, disposal_sooner, handover_lead_longer, meeting_sooner]


def proposed(tmp_path, change):
    target = copy_rules(tmp_path / change.__name__)
    change(target)
    return load_ruleset(target)


@pytest.fixture(scope="module")
def cases():
    """Each case's events as the replay hands them over: each event_id once."""
    by_case = defaultdict(dict)
    for start in ("2026-01-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00"):  # other ids
        for e in generate_events(2_500, seed=11, start=datetime.fromisoformat(start)):
            event = parse_event(json.dumps(e))
            by_case[event.case_id].setdefault(event.event_id, event)
    return [list(events.values()) for events in by_case.values()]


AT = [datetime.fromisoformat(x) for x in ("2026-02-01T12:00:00+08:00",
                                          "2026-09-01T00:00:00+08:00",
                                          "2027-06-01T00:00:00+08:00")]


@pytest.mark.parametrize("change", PROPOSALS, ids=[p.__name__ for p in PROPOSALS])
def test_the_part_evaluated_gives_what_the_whole_gives(tmp_path, cases, change):
    proposal = proposed(tmp_path, change)
    diff = diff_rulesets(CURRENT, proposal)
    whole = (Engine.from_ruleset(CURRENT), Engine.from_ruleset(proposal))
    seen = defaultdict(int)
    for events in cases:
        for now in AT:
            full = [{w.warning_id: w for w in e.evaluate_case(events, now).warnings}
                    for e in whole]
            expected = {wid: (full[0].get(wid), full[1].get(wid))
                        for wid in full[0].keys() | full[1].keys()
                        if changes(full[0].get(wid), full[1].get(wid))}
            got = {}
            if diff.concerns({e.event_type for e in events}):
                part = diff.evaluate(events, now)
                got = {wid: (part[0].get(wid), part[1].get(wid))
                       for wid in part[0].keys() | part[1].keys()
                       if changes(part[0].get(wid), part[1].get(wid))}
            assert got == expected
            for before, after in expected.values():
                for kind in changes(before, after):
                    seen[kind] += 1
    assert sum(seen.values()) > 0, "the proposal changed nothing: the test proves nothing"


def test_a_rule_changed_alone_is_evaluated_alone(tmp_path):
    diff = diff_rulesets(CURRENT, proposed(tmp_path, lead_and_period))
    assert diff.changed == ("custody_limit",) and diff.scope == {"custody_limit"}
    assert diff.event_types == {"arrested"} and not diff.calendar_changed
    assert {r.id for r in diff.proposed.catalogue.violations} == {
        "custody_extension_out_of_order", "extension_after_expiry"}
    assert "detained" not in diff.reads and {"custody_extended", "case_closed",
                                             "event_retracted"} <= diff.reads


def test_a_shared_violation_brings_in_every_rule_that_raises_it(tmp_path):
    diff = diff_rulesets(CURRENT, proposed(tmp_path, shared_violation_reworded))
    extended = {r.id for r in CURRENT.catalogue.deadlines if r.extensions}
    assert diff.changed == ("extension_after_expiry",)
    assert diff.scope == extended | {"extension_after_expiry"}


def test_an_exemption_shared_by_event_type_brings_in_its_neighbours(tmp_path):
    diff = diff_rulesets(CURRENT, proposed(tmp_path, exemption_narrowed))
    assert {"det_family_notice", "arrest_family_notice", "rs_designated_notice"} <= diff.scope
    assert "notice_exemption_invalid" in {r.id for r in diff.current.catalogue.violations}


def test_a_calendar_change_evaluates_everything(tmp_path):
    diff = diff_rulesets(CURRENT, proposed(tmp_path, calendar_changed))
    assert diff.calendar_changed and diff.changed == ()
    assert diff.scope == set(CURRENT.catalogue.by_id)


def test_the_same_rule_set_changes_nothing():
    diff = diff_rulesets(CURRENT, load_ruleset())
    assert diff.changed == () and diff.scope == frozenset() and not diff.concerns({"detained"})


def test_what_a_change_is_called(cases):
    at = AT[1]
    engine = Engine()
    w = next(w for events in cases for w in engine.evaluate_case(events, at).warnings
             if w.due_at is not None and w.level == "overdue")
    assert changes(None, w) == (ADDED,) and changes(w, None) == (REMOVED,)
    assert changes(w, w) == () and changes(None, None) == ()
    assert changes(w, w.model_copy(update={"catalogue_version": "x"})) == ()
    later = w.model_copy(update={"due_at": w.due_at.replace(year=w.due_at.year + 1)})
    assert changes(w, later) == (RETIMED,)
    assert changes(w, later.model_copy(update={"level": "approaching"})) == (RETIMED, RELEVELLED)
    assert changes(w, w.model_copy(update={"message_zh": "…"})) == (OTHER,)
    assert in_window(w, None) and in_window(w, w.changed_at) and not in_window(None, None)
    assert not in_window(w, max(w.changed_at, w.due_at).replace(year=2099))


def test_every_check_type_says_what_it_reads():
    from rules.checks import CHECKS, check_events

    checks = {r.check["type"]: r.check for r in CURRENT.catalogue.violations if r.check}
    assert set(checks) == set(CHECKS)
    for check in checks.values():
        fires, reads = check_events(check)
        assert fires and fires <= reads
    with pytest.raises(ValueError, match="not known"):
        check_events({"type": "divination"})
