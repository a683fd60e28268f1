"""cli.whatif: `casewatch whatif` on a seeded change with known answers (worked out by
hand below), its table and JSON, the window, malformed input and bad arguments."""

import io
import json
import sys

import pytest

from cli.lifecycles import generate_events
from cli.main import main
from rules.ruleset import RULES_DIR, load_ruleset
from tests.support.rulesets import copy_rules, edit

TO = "2026-05-04T17:00:00+08:00"


def ev(event_id, event_type, at, case, person="P1", **details):
    e = {"event_id": event_id, "schema_version": 1, "event_type": event_type,
         "occurred_at": at, "case_id": case, "case_kind": "criminal", "unit_id": "U3301"}
    if person:
        e["person_id"] = person
    if details:
        e["details"] = details
    return e


EVENTS = [
    # C1: notified 5 h before the due (outside the 4 h lead, inside 6 h), interrogated 11 h
    # after the detention (inside a 12 h period's lead): nothing today, two warnings then
    ev("c1-1", "detained", "2026-05-01T15:00:00+08:00", "C1"),
    ev("c1-2", "family_notified", "2026-05-02T10:00:00+08:00", "C1", measure="detention"),
    ev("c1-3", "sent_to_jail", "2026-05-01T16:00:00+08:00", "C1"),
    ev("c1-4", "interrogated", "2026-05-02T02:00:00+08:00", "C1"),
    # C2: nothing done: interrogation overdue either way (due 15:00 -> 03:00), the jail
    # transfer reworded, the family notice the same (overdue, same due)
    ev("c2-1", "detained", "2026-05-01T07:00:00Z", "C2", "P9"),
    # C3: interrogation approaching today (due 05-04 20:00), overdue then (due 08:00)
    ev("c3-1", "detained", "2026-05-03T20:00:00+08:00", "C3", "P3"),
    ev("c3-2", "sent_to_jail", "2026-05-03T21:00:00+08:00", "C3", "P3"),
    ev("c3-3", "family_notified", "2026-05-03T22:00:00+08:00", "C3", "P3", measure="detention"),
    # C4: release after a denial approaching today; the proposal drops the rule
    ev("c4-1", "arrest_denied", "2026-05-04T08:00:00+08:00", "C4", "P4"),
]
EXPECTED_TOTALS = {"added": 2, "removed": 1, "retimed": 2, "relevelled": 1, "other": 1,
                   "warnings": 6}
EXPECTED_BY_RULE = {
    "det_family_notice": {"added": 1},
    "det_first_interrogation": {"added": 1, "retimed": 2, "relevelled": 1},
    "det_transfer_to_jail": {"other": 1},
    "release_on_denial": {"removed": 1},
}
EXPECTED_WARNINGS = {  # (case, rule): (changes, current level, proposed level)
    ("C1", "det_family_notice"): (["added"], None, "approaching"),
    ("C1", "det_first_interrogation"): (["added"], None, "approaching"),
    ("C2", "det_first_interrogation"): (["retimed"], "overdue", "overdue"),
    ("C2", "det_transfer_to_jail"): (["other"], "overdue", "overdue"),
    ("C3", "det_first_interrogation"): (["retimed", "relevelled"], "approaching", "overdue"),
    ("C4", "release_on_denial"): (["removed"], "approaching", None),
}


@pytest.fixture
def proposal(tmp_path):
    d = copy_rules(tmp_path / "proposed")
    (d / "VERSION.toml").write_text('version = "2026.12-2"\n', encoding="utf-8")
    edit(d / "catalogue/det_family_notice.toml", 'lead = "4h"', 'lead = "6h"')
    edit(d / "catalogue/det_first_interrogation.toml", 'period = "24h"', 'period = "12h"')
    (d / "catalogue/release_on_denial.toml").unlink()
    edit(d / "catalogue/det_transfer_to_jail.toml", "应立即送看守所羁押", "应当立即送看守所羁押")
    return d


@pytest.fixture
def events(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    return path


def run(capsys, *argv):
    code = main(["whatif", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_known_answers_in_json(capsys, proposal, events):
    code, out, err = run(capsys, str(events), "--catalogue", str(proposal), "--to", TO,
                         "--format", "json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["totals"] == EXPECTED_TOTALS
    assert {r["rule_id"]: {k: v for k, v in r.items() if k not in ("rule_id", "unit_id") and v}
            for r in doc["by_rule_unit"]} == EXPECTED_BY_RULE
    assert {r["unit_id"] for r in doc["by_rule_unit"]} == {"U3301"}
    got = {(w["case_id"], w["rule_id"]): (w["changes"], w["current"] and w["current"]["level"],
                                         w["proposed"] and w["proposed"]["level"])
           for w in doc["warnings"]}
    assert got == EXPECTED_WARNINGS
    retimed = next(w for w in doc["warnings"] if w["case_id"] == "C2"
                   and w["rule_id"] == "det_first_interrogation")
    assert (retimed["current"]["due_at"], retimed["proposed"]["due_at"]) == (
        "2026-05-02T15:00:00+08:00", "2026-05-02T03:00:00+08:00")
    assert doc["current"] == load_ruleset().version
    assert doc["proposed"].startswith("2026.12-2 (sha256:")
    assert doc["rules_changed"] == ["det_family_notice", "det_first_interrogation",
                                    "det_transfer_to_jail", "release_on_denial"]
    assert (doc["events"], doc["cases_evaluated"], doc["at"]) == (9, 4, TO)


def test_the_table_puts_the_totals_first(capsys, proposal, events):
    code, out, _ = run(capsys, str(events), "--catalogue", str(proposal), "--to", TO)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("规则目录对比 what-if: 2026.12-1 (sha256:")
    totals = lines.index("合计 totals")
    assert lines[totals + 1].split() == ["新增", "added", "消失", "removed", "改期", "re-timed",
                                         "改级", "re-levelled", "其他变化", "other", "预警",
                                         "warnings"]
    assert lines[totals + 3].split() == ["2", "1", "2", "1", "1", "6"]
    assert totals < lines.index("按规则和单位 by rule and unit") < lines.index(
        "预警 warnings (6 / 6)")
    rows = [x.split() for x in lines[lines.index("预警 warnings (6 / 6)") + 3:]]
    assert [r[:2] for r in rows] == [["新增", "det_family_notice"],
                                    ["新增", "det_first_interrogation"],
                                    ["改期", "det_first_interrogation"],
                                    ["其他变化", "det_transfer_to_jail"],
                                    ["改期,改级", "det_first_interrogation"],
                                    ["消失", "release_on_denial"]]
    c3 = lines[-2]
    assert "临期 未办结 2026-05-04 20:00" in c3 and "超期 未办结 2026-05-04 08:00" in c3


def test_the_limit_cuts_the_list_not_the_totals(capsys, proposal, events):
    _, out, _ = run(capsys, str(events), "--catalogue", str(proposal), "--to", TO,
                    "--limit", "2")
    assert "预警 warnings (2 / 6)" in out and out.splitlines()[-1].startswith("…… 另有 4 条")


def test_from_keeps_the_warnings_of_the_window(capsys, proposal, events):
    _, out, _ = run(capsys, str(events), "--catalogue", str(proposal), "--to", TO,
                    "--from", "2026-05-03T00:00:00+08:00", "--format", "json")
    doc = json.loads(out)
    assert {(w["case_id"], w["rule_id"]) for w in doc["warnings"]} == {
        ("C3", "det_first_interrogation"), ("C4", "release_on_denial")}
    assert doc["totals"]["warnings"] == 2 and doc["from"] == "2026-05-03T00:00:00+08:00"


def test_the_same_rule_set_changes_nothing(capsys, events):
    code, out, _ = run(capsys, str(events), "--catalogue", str(RULES_DIR), "--to", TO,
                       "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["totals"]["warnings"] == 0 and doc["warnings"] == []


def test_any_jobs_and_standard_input_give_the_same_answer(capsys, monkeypatch, tmp_path,
                                                          proposal):
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in generate_events(3000, seed=3)))
    args = ("--catalogue", str(proposal), "--to", "2026-03-01T00:00:00+08:00", "--format",
            "json")
    one = run(capsys, str(path), *args, "--jobs", "1")
    two = run(capsys, str(path), *args, "--jobs", "2")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    piped = run(capsys, "-", *args, "--jobs", "2")
    assert one == two == piped and json.loads(one[1])["totals"]["warnings"] > 10


# --- malformed input and bad arguments -----------------------------------------------------

def test_an_invalid_line_it_evaluates_is_reported_and_skipped(capsys, proposal, tmp_path):
    path = tmp_path / "bad.jsonl"
    bad = dict(EVENTS[4], occurred_at="2026-05-01T15:00:00")  # C2's detention, no offset
    lines = [json.dumps(e) for e in EVENTS[:4]] + [json.dumps(bad), "{not json"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, str(path), "--catalogue", str(proposal), "--to", TO,
                         "--format", "json")
    assert code == 3
    assert err.splitlines()[0].startswith("line 5: detained.occurred_at: Input should have")
    assert err.splitlines()[1].startswith("line 6: message: Invalid JSON")
    assert json.loads(out)["totals"]["warnings"] == 2  # C1's two


@pytest.mark.parametrize("argv, message", [
    ((), "give EVENTS or --from-clickhouse"),
    (("EVENTS", "--from-clickhouse"), "give EVENTS or --from-clickhouse"),
    (("EVENTS", "--to", "2026-05-04T17:00:00"), "has no offset"),
    (("EVENTS", "--from", "yesterday"), "Invalid isoformat"),
    (("EVENTS", "--jobs", "-1"), "--jobs must be 0"),
    (("nope.jsonl",), "cannot read nope.jsonl"),
])
def test_bad_arguments_exit_2(capsys, proposal, events, argv, message):
    argv = tuple(str(events) if a == "EVENTS" else a for a in argv)
    code, out, err = run(capsys, *argv, "--catalogue", str(proposal))
    assert (code, out) == (2, "") and message in err


def test_a_broken_proposal_is_refused_naming_the_file(capsys, proposal, events):
    edit(proposal / "catalogue/bail_limit.toml", 'lead = "30d"', 'lead = "30x"')
    code, out, err = run(capsys, str(events), "--catalogue", str(proposal))
    assert (code, out) == (2, "") and "bail_limit.toml" in err and "--catalogue" in err


def test_a_directory_without_rules_is_refused(capsys, tmp_path, events):
    code, _, err = run(capsys, str(events), "--catalogue", str(tmp_path))
    assert code == 2 and "no catalogue/ directory" in err


def test_an_unreachable_clickhouse_exits_4(capsys, monkeypatch, proposal):
    from tests.support.ports import free_port

    monkeypatch.setenv("CASEWATCH_CLICKHOUSE_PORT", str(free_port()))  # nothing listens
    code, out, err = run(capsys, "--from-clickhouse", "--catalogue", str(proposal))
    assert (code, out) == (4, "") and "cannot read ClickHouse (casewatch_reader@" in err
    assert "casewatch-reader-dev" not in err  # never the password


def test_the_replay_gives_what_the_whole_file_in_memory_gives(capsys, monkeypatch, tmp_path):
    """Whatever the chunks and processes, and with repeats, conflicts and invalid lines of
    every kind: the changes of the cases as `read_events` reads the whole file. The custody
    limit's lead changes: a line of a type it does not read (left out of its case) may come
    first with an id a line it reads repeats (a release, refused as a conflict)."""
    from collections import defaultdict
    from datetime import datetime

    from cli import replay as replay_module
    from cli.jsonl import Problem, read_events
    from cli.whatif import change_records
    from rules.ruleset_diff import diff_rulesets
    from tests.support.hostile_events import hostile_lines, write

    proposal = copy_rules(tmp_path / "custody")
    edit(proposal / "catalogue/custody_limit.toml", 'lead = "15d"', 'lead = "40d"')
    monkeypatch.setattr(replay_module, "CHUNK_BYTES", 20_000)
    monkeypatch.setattr(replay_module, "MIN_CHUNK_BYTES", 5_000)
    path = tmp_path / "hostile.jsonl"
    write(path, hostile_lines(8, 2_000))
    at = "2026-03-01T00:00:00+08:00"
    work = change_records(diff_rulesets(load_ruleset(), load_ruleset(proposal)),
                          datetime.fromisoformat(at), None)
    cases = defaultdict(list)
    with path.open("rb") as f:
        for _, item in read_events(f, datetime.fromisoformat(at)):
            if not isinstance(item, Problem):
                cases[item.case_id].append(item)
    expected = sorted(r for case_id, events in cases.items() for r in work(case_id, events))
    assert len(expected) > 20
    code, out, _ = run(capsys, str(path), "--catalogue", str(proposal), "--to", at,
                       "--format", "json", "--jobs", "2")
    doc = json.loads(out)
    assert code == 3 and doc["totals"]["warnings"] == len(expected)
    assert [(w["case_id"], w["rule_id"], w["warning_id"], w["changes"], w["fields"])
            for w in doc["warnings"]] == [(r[0], r[2], r[3], list(r[5]), list(r[6]))
                                          for r in expected]
