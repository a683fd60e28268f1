"""The console's pure parts: which warnings it lists, and what an acknowledgement picks."""

import pytest

from cli.console import acknowledge, open_warnings
from tests.support.timeline import CaseTimeline


@pytest.fixture(scope="module")
def latest():
    case = CaseTimeline()
    case.add("detained", event_id="d1")
    case.add("family_notified", hours=22, measure="detention", event_id="n1")
    case.add("bail_started", hours=30, event_id="b1", approvals=[
        {"approver_id": "L1", "role": "chief"}])
    return {w.warning_id: w for w in case.evaluate(hours=31)}


def test_only_open_unacknowledged_warnings_are_listed_violations_first(latest):
    rows = open_warnings(latest, acked=set())
    assert [w.level for w in rows][0] == "violation"
    assert all(w.status == "open" for w in rows)
    assert {w.rule_id for w in rows} == {"approval_insufficient", "det_first_interrogation",
                                         "det_transfer_to_jail"}
    first = rows[0].warning_id
    assert first not in {w.warning_id for w in open_warnings(latest, acked={first})}


def test_a_unique_prefix_of_six_or_more_characters_acknowledges(latest):
    wid = next(iter(latest))
    assert acknowledge(wid[:8] + "\n", latest).warning_id == wid


@pytest.mark.parametrize("typed", ["", "\n", "abc", "zzzzzzzz", "   \n", "漢字漢字漢字漢字"],
                         ids=["empty", "newline", "too short", "unknown", "blank", "not hex"])
def test_malformed_or_unknown_input_acknowledges_nothing(latest, typed):
    assert acknowledge(typed, latest) is None


def test_an_ambiguous_prefix_acknowledges_nothing(latest):
    ids = sorted(latest)
    fake = {ids[0]: latest[ids[0]], ids[0][:6] + "ffff": latest[ids[1]]}
    assert acknowledge(ids[0][:6], fake) is None
