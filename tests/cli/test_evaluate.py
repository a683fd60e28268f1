"""cli.evaluate: `casewatch evaluate` over files and stdin, as evaluate.md specifies."""

import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.main import main

REPO = Path(__file__).resolve().parents[2]
CST_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
REQUIRED_KEYS = {
    "warning_id", "rule_id", "level", "status", "late", "case_id", "person_id", "unit_id",
    "due_at", "resolved_at", "evidence", "message_zh", "message_en",
}
AT = "2026-05-03T12:00:00+08:00"


def ev(event_id: str, event_type: str, occurred_at: str, case_id: str = "C1",
       person_id: str | None = "P1", **details) -> dict:
    event = {
        "event_id": event_id,
        "schema_version": 1,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "case_id": case_id,
        "case_kind": "criminal",
        "unit_id": "U3301",
    }
    if person_id is not None:
        event["person_id"] = person_id
    if details:
        event["details"] = details
    return event


def line(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False)


def write(tmp_path: Path, lines: list[str], name: str = "events.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["evaluate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def warnings_of(out: str) -> list[dict]:
    return [json.loads(x) for x in out.splitlines()]


# Two cases, three persons, in an order unlike the output order. By AT:
#  C2/P9 detained 05-01 15:00 (given in UTC), nothing else: three 24 h duties overdue,
#        det_arrest_request (due 05-05 00:00, lead 24 h) not yet approaching;
#  C1/P2 summoned twice within 8 h (violation), the second summons still running: overdue;
#  C1/P1 detained, notified 21 h later (inside the 4 h lead): approaching, resolved.
MIXED = [
    ev("c2-1", "detained", "2026-05-01T07:00:00Z", case_id="C2", person_id="P9"),
    ev("c1-5", "summons_started", "2026-05-01T09:00:00+08:00", person_id="P2", kind="summons"),
    ev("c1-1", "detained", "2026-05-01T15:00:00+08:00"),
    ev("c1-2", "family_notified", "2026-05-02T12:00:00+08:00", measure="detention"),
    ev("c1-3", "sent_to_jail", "2026-05-01T18:00:00+08:00"),
    ev("c1-4", "interrogated", "2026-05-01T16:00:00+08:00"),
    ev("c1-6", "summons_ended", "2026-05-01T12:00:00+08:00", person_id="P2"),
    ev("c1-7", "summons_started", "2026-05-01T14:00:00+08:00", person_id="P2", kind="summons"),
]


def test_jsonl_output_has_the_keys_the_order_and_the_timestamp_format(tmp_path, capsys):
    code, out, err = run(capsys, str(write(tmp_path, [line(e) for e in MIXED])), "--at", AT)
    assert (code, err) == (0, "")
    ws = warnings_of(out)
    assert [(w["case_id"], w["person_id"], w["rule_id"], w["level"], w["status"]) for w in ws] == [
        ("C1", "P1", "det_family_notice", "approaching", "resolved"),
        ("C1", "P2", "summons_consecutive", "violation", "open"),
        ("C1", "P2", "summons_duration", "overdue", "open"),
        ("C2", "P9", "det_family_notice", "overdue", "open"),
        ("C2", "P9", "det_first_interrogation", "overdue", "open"),
        ("C2", "P9", "det_transfer_to_jail", "overdue", "open"),
    ]
    for w in ws:
        assert REQUIRED_KEYS <= w.keys()
        for key in ("due_at", "resolved_at", "changed_at"):
            assert w[key] is None or CST_STAMP.match(w[key]), (key, w[key])
    # an event given in UTC is counted and printed in +08:00
    assert ws[3]["due_at"] == "2026-05-02T15:00:00+08:00"
    assert ws[0]["resolved_at"] == "2026-05-02T12:00:00+08:00" and ws[0]["late"] is False
    assert ws[1]["due_at"] is None and ws[1]["evidence"] == ["c1-6", "c1-7"]


def test_sort_ties_on_rule_are_broken_by_due(tmp_path, capsys):
    lines = [
        line(ev("b", "detained", "2026-05-02T10:00:00+08:00")),
        line(ev("a", "detained", "2026-05-01T10:00:00+08:00")),
        line(ev("r", "released", "2026-05-02T09:00:00+08:00")),
    ]
    code, out, _ = run(capsys, str(write(tmp_path, lines)), "--at", "2026-05-04T12:00:00+08:00")
    dues = [w["due_at"] for w in warnings_of(out) if w["rule_id"] == "det_family_notice"]
    assert code == 0 and dues == ["2026-05-02T10:00:00+08:00", "2026-05-03T10:00:00+08:00"]


def test_table_format_lists_the_same_warnings(tmp_path, capsys):
    path = str(write(tmp_path, [line(e) for e in MIXED]))
    _, as_jsonl, _ = run(capsys, path, "--at", AT)
    code, out, err = run(capsys, path, "--at", AT, "--format", "table")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "级别 level" in lines[0] and "规则 rule" in lines[0] and set(lines[1]) <= {"-", " "}
    rows = lines[2:-1]
    assert len(rows) == 6 and lines[-1] == "6 条预警 warnings"
    for row, w in zip(rows, warnings_of(as_jsonl), strict=True):  # same warnings, same order
        assert w["rule_id"] in row.split() and w["case_id"] in row.split()
    cells = rows[0].split()
    assert cells[cells.index("临期"):][:4] == ["临期", "已办结", "det_family_notice", "C1"]
    assert "违规" in rows[1].split() and "超期" in rows[3].split()
    assert "2026-05-02 15:00" in rows[3]


def test_dash_reads_standard_input(tmp_path, capsys, monkeypatch):
    data = "".join(line(e) + "\n" for e in MIXED).encode()
    code, from_file, _ = run(capsys, str(write(tmp_path, [line(e) for e in MIXED])), "--at", AT)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code_stdin, from_stdin, err = run(capsys, "-", "--at", AT)
    assert (code, code_stdin, err) == (0, 0, "")
    assert from_stdin == from_file and len(warnings_of(from_stdin)) == 6


def test_at_defaults_to_the_wall_clock_and_future_events_are_ignored(tmp_path, capsys):
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = lambda delta: (now + delta).isoformat()  # noqa: E731
    lines = [
        # 30 h ago, nothing done since: overdue by the wall clock
        line(ev("past", "detained", stamp(timedelta(hours=-30)), case_id="CP")),
        # in two hours: an unjustified 30-day extension would be a violation at once
        line(ev("f1", "detained", stamp(timedelta(hours=2)), case_id="CF")),
        line(ev("f2", "detention_period_extended", stamp(timedelta(hours=3)), case_id="CF",
                to_days=30, approved_by="L1")),
    ]
    code, out, _ = run(capsys, str(write(tmp_path, lines)))
    ws = warnings_of(out)
    assert code == 0 and {w["case_id"] for w in ws} == {"CP"}
    levels = {w["rule_id"]: w["level"] for w in ws}
    assert levels["det_family_notice"] == "overdue"
    # 30 h < 2 days: the arrest request (due 24:00 of the third day) is not yet approaching
    assert "det_arrest_request" not in levels


def test_events_after_at_are_ignored(tmp_path, capsys):
    lines = [
        line(ev("e1", "detained", "2026-05-01T15:00:00+08:00")),
        line(ev("e2", "family_notified", "2026-05-02T21:00:00+08:00", measure="detention")),
        line(ev("e3", "detention_period_extended", "2026-05-02T22:00:00+08:00", to_days=30,
                approved_by="L1")),
    ]
    path = str(write(tmp_path, lines))

    def notice_and_rules(at: str):
        code, out, _ = run(capsys, path, "--at", at)
        assert code == 0
        ws = warnings_of(out)
        notice = next(w for w in ws if w["rule_id"] == "det_family_notice")
        return (notice["status"], notice["late"]), {w["rule_id"] for w in ws}

    before, rules_before = notice_and_rules("2026-05-02T20:59:59+08:00")
    after, rules_after = notice_and_rules("2026-05-02T22:00:00+08:00")
    assert before == ("open", None) and "det_extension_unjustified" not in rules_before
    assert after == ("resolved", True) and "det_extension_unjustified" in rules_after


def test_an_event_up_to_a_day_after_at_is_valid_and_not_yet_known(tmp_path, capsys):
    # a day after --at: what the worker accepts a day ahead of the broker's clock; it does
    # not count here yet either way, so refusing later ones changes no warning
    lines = [line(VALID_1), line(ev("v2", "family_notified", "2026-05-04T12:00:00+08:00",
                                    measure="detention"))]
    code, out, err = run(capsys, str(write(tmp_path, lines)), "--at", AT)
    assert (code, err) == (0, "")
    notice = next(w for w in warnings_of(out) if w["rule_id"] == "det_family_notice")
    assert (notice["level"], notice["status"]) == ("overdue", "open")

    lines[1] = lines[1].replace("2026-05-04T12:00:00", "2026-05-04T12:00:01")
    code, later, err = run(capsys, str(write(tmp_path, lines)), "--at", AT)
    assert code == 3 and later == out
    assert err == ("line 2: occurred_at: 2026-05-04T12:00:01+08:00 is more than 24 hours "
                   "after 2026-05-03T12:00:00+08:00, the time it was received\n")


def test_without_at_the_wall_clock_bounds_the_dates(tmp_path, capsys):
    ahead = (datetime.now(UTC) + timedelta(hours=25)).replace(microsecond=0)
    lines = [line(VALID_1), line(ev("f1", "detained", ahead.isoformat(), case_id="CF"))]
    code, out, err = run(capsys, str(write(tmp_path, lines)))
    assert code == 3 and err.startswith(f"line 2: occurred_at: {ahead.isoformat()} is more "
                                        "than 24 hours after ")
    assert {w["case_id"] for w in warnings_of(out)} == {"C1"}


def test_an_identical_duplicate_is_one_event(tmp_path, capsys):
    lines = [line(e) for e in MIXED]
    code, once, _ = run(capsys, str(write(tmp_path, lines, "a.jsonl")), "--at", AT)
    code2, twice, err = run(capsys, str(write(tmp_path, lines + lines[:3], "b.jsonl")), "--at", AT)
    assert (code, code2, err) == (0, 0, "") and once == twice


# -- invalid input ---------------------------------------------------------------------

VALID_1 = ev("v1", "detained", "2026-05-01T15:00:00+08:00")
VALID_3 = ev("v3", "summons_started", "2026-05-02T10:00:00+08:00", case_id="C7",
             person_id="P7", kind="summons")


def _without(event: dict, key: str) -> dict:
    return {k: v for k, v in event.items() if k != key}


BAD_LINES = {
    "not JSON": ("{not json", "Invalid JSON"),
    "timestamp without offset": (
        line(ev("b1", "interrogated", "2026-05-01T16:00:00")), "occurred_at: Input should have"),
    "unknown event_type": (
        line(ev("b2", "teleported", "2026-05-01T16:00:00+08:00")),
        "event_type: unknown event type 'teleported'"),
    "missing required field": (
        line(_without(ev("b3", "interrogated", "2026-05-01T16:00:00+08:00"), "unit_id")),
        "unit_id: Field required"),
    "person-level type without person_id": (
        line(ev("b4", "interrogated", "2026-05-01T16:00:00+08:00", person_id=None)),
        "person_id is required for event_type interrogated"),
    "wrong value type": (
        line(ev("b5", "detention_period_extended", "2026-05-01T20:00:00+08:00", to_days="seven",
                approved_by="L1")),
        "details.to_days"),
    "line over 64 KiB": (
        line(ev("b6", "interrogated", "2026-05-01T16:00:00+08:00", note="x" * 66_000)),
        "over the 65536 byte limit"),
    "conflicting duplicate event_id": (
        line(ev("v1", "released", "2026-05-01T16:00:00+08:00")),
        "event_id 'v1' conflicts with line 1"),
    "occurred_at before 1990": (
        line(ev("b7", "detained", "1900-01-01T00:00:00+08:00", case_id="C8")),
        "line 2: detained.occurred_at: 1900-01-01T00:00:00+08:00 is before "
        "1990-01-01T00:00:00+08:00, the earliest time an event may carry\n"),
    "recorded_at before 1990": (
        line({**ev("b8", "interrogated", "2026-05-01T16:00:00+08:00"),
              "recorded_at": "1970-01-01T00:00:00Z"}),
        "interrogated.recorded_at: 1970-01-01T00:00:00+00:00 is before 1990-01-01"),
    "occurred_at in the year 9999": (
        line(ev("b9", "detained", "9999-12-31T23:59:59+08:00", case_id="C8")),
        "line 2: occurred_at: 9999-12-31T23:59:59+08:00 is more than 24 hours after "
        "2026-05-03T12:00:00+08:00, the time it was received\n"),
}


@pytest.mark.parametrize("bad, reason", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_an_invalid_line_is_reported_and_the_rest_evaluated(tmp_path, capsys, bad, reason):
    path = write(tmp_path, [line(VALID_1), bad, line(VALID_3)])
    code, out, err = run(capsys, str(path), "--at", AT)
    assert code == 3
    assert len(err.splitlines()) == 1 and err.startswith("line 2: ") and reason in err
    ws = warnings_of(out)
    # both valid lines were evaluated: v1's 24 h duties overdue, v3's summons overdue
    assert {w["rule_id"] for w in ws if w["case_id"] == "C1"} == {
        "det_family_notice", "det_first_interrogation", "det_transfer_to_jail"}
    assert [w["rule_id"] for w in ws if w["case_id"] == "C7"] == ["summons_duration"]
    for w in ws:  # a conflicting copy never replaces the first
        assert w["evidence"] in (["v1"], ["v3"])


def test_every_invalid_line_is_reported_with_its_number(tmp_path, capsys):
    bad = [b for b, _ in BAD_LINES.values()]
    lines = [line(VALID_1), "", *bad[:4], "   ", *bad[4:], line(VALID_3)]
    code, out, err = run(capsys, str(write(tmp_path, lines)), "--at", AT)
    numbers = [int(m) for m in re.findall(r"^line (\d+): ", err, re.M)]
    assert code == 3 and numbers == [3, 4, 5, 6, *range(8, 8 + len(bad) - 4)]
    assert len(warnings_of(out)) == 4


@pytest.mark.parametrize("at", ["tomorrow", "2026-05-01T12:00:00", "2026-13-01T00:00:00+08:00"])
def test_a_bad_at_exits_2(tmp_path, capsys, at):
    code, out, err = run(capsys, str(write(tmp_path, [line(VALID_1)])), "--at", at)
    assert code == 2 and out == "" and "casewatch evaluate" in err


def test_an_unknown_format_exits_2(tmp_path, capsys):
    code, out, _ = run(capsys, str(write(tmp_path, [line(VALID_1)])), "--format", "xml")
    assert code == 2 and out == ""


@pytest.mark.parametrize("which", ["missing", "directory"])
def test_an_unreadable_file_exits_2(tmp_path, capsys, which):
    path = tmp_path / "nope.jsonl" if which == "missing" else tmp_path
    code, out, err = run(capsys, str(path), "--at", AT)
    assert code == 2 and out == "" and f"cannot read {path}" in err


def test_all_valid_exits_0_with_nothing_on_stderr(tmp_path, capsys):
    code, out, err = run(capsys, str(write(tmp_path, [line(VALID_1), line(VALID_3)])), "--at", AT)
    assert (code, err) == (0, "") and len(warnings_of(out)) == 4


def test_the_installed_command_end_to_end(tmp_path, capsys):
    path = write(tmp_path, [line(e) for e in MIXED] + ["{not json"])
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "casewatch"), "evaluate", str(path), "--at", AT],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == f"line {len(MIXED) + 1}: message: Invalid JSON: key must be a string" \
                          " at line 1 column 2\n"
    _, in_process, _ = run(capsys, str(path), "--at", AT)
    assert proc.stdout == in_process and len(warnings_of(proc.stdout)) == 6


def test_parallel_jobs_give_the_same_output_as_one(tmp_path, capsys):
    from cli.lifecycles import generate_events

    path = write(tmp_path, [line(e) for e in generate_events(3_000, seed=8)] + ["{not json"])
    one = run(capsys, str(path), "--at", "2026-03-01T00:00:00+08:00", "--jobs", "1")
    two = run(capsys, str(path), "--at", "2026-03-01T00:00:00+08:00", "--jobs", "3")
    assert one == two and one[0] == 3 and len(warnings_of(one[1])) > 50


def test_negative_jobs_exit_2_and_the_collector_is_left_as_found(tmp_path, capsys):
    import gc

    assert run(capsys, str(write(tmp_path, [line(VALID_1)])), "--jobs", "-1")[0] == 2
    assert run(capsys, str(write(tmp_path, [line(VALID_1)])), "--at", AT)[0] == 0
    assert gc.isenabled()
