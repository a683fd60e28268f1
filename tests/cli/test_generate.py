"""cli.generate: `casewatch generate --events N --seed S --out FILE.jsonl`."""

import json

from cli.lifecycles import generate_events
from cli.main import main


def test_writes_n_shuffled_lines_of_the_generated_events(tmp_path, capsys):
    out = tmp_path / "events.jsonl"
    assert main(["generate", "--events", "500", "--seed", "4", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    events = [json.loads(x) for x in lines]
    expected = list(generate_events(500, seed=4))
    assert len(events) == 500 and events != expected
    key = lambda e: json.dumps(e, sort_keys=True)  # noqa: E731
    assert sorted(events, key=key) == sorted(expected, key=key)
    assert "wrote 500 events" in capsys.readouterr().err


def test_same_seed_same_file_and_dash_is_stdout(tmp_path, capsys):
    out = tmp_path / "a.jsonl"
    assert main(["generate", "--events", "300", "--seed", "9", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["generate", "--events", "300", "--seed", "9", "--out", "-"]) == 0
    assert capsys.readouterr().out == out.read_text(encoding="utf-8")


def test_no_shuffle_keeps_case_order(tmp_path, capsys):
    assert main(["generate", "--events", "50", "--out", "-", "--no-shuffle"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x) for x in lines] == list(generate_events(50, seed=1))


def test_start_and_rate(capsys):
    argv = ["generate", "--events", "400", "--out", "-", "--no-shuffle",
            "--start", "2027-03-01T08:00:00+08:00", "--cases-per-day", "10"]
    assert main(argv) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert min(e["occurred_at"] for e in events if e["occurred_at"].endswith("+08:00")) >= \
        "2027-03-01T08:00:00+08:00"
    assert len({e["case_id"] for e in events}) < 60  # about 10 events a case, one case a day


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["generate", "--events", "5", "--out", "-", "--start", "2027-03-01"]) == 2
    assert main(["generate", "--events", "-1", "--out", "-"]) == 2
    assert main(["generate", "--events", "x", "--out", "-"]) == 2
    assert main(["generate", "--events", "5", "--out", str(tmp_path / "no" / "f.jsonl")]) == 2
    assert capsys.readouterr().out == ""
