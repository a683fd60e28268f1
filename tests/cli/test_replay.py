"""cli.replay: `casewatch evaluate` replayed case by case from disk prints exactly what the
whole file read into memory printed (tests/support/replay_reference.py), byte for byte —
warnings in order, and the invalid lines, duplicates and conflicts reported in line order —
whatever the chunks, partitions and processes; and its sorted runs (cli/runs.py)."""

import io
import json
import random
import sys
from datetime import datetime

import pytest

from cli import replay as replay_module
from cli.lifecycles import generate_events
from cli.main import main
from cli.runs import RunWriter, merge
from rules.engine import Engine
from tests.support.hostile_events import dumps, hostile_lines, write
from tests.support.replay_reference import evaluate_in_memory

AT = "2026-04-15T00:00:00+08:00"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["evaluate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few kilobytes: many chunks, partitions and runs for a small file."""
    monkeypatch.setattr(replay_module, "CHUNK_BYTES", 20_000)
    monkeypatch.setattr(replay_module, "MIN_CHUNK_BYTES", 5_000)


@pytest.mark.parametrize("seed, jobs", [(1, 1), (2, 2), (3, 3)])
def test_the_replay_prints_what_the_whole_file_in_memory_printed(tmp_path, capsys, small_chunks,
                                                                  seed, jobs):
    path = tmp_path / "events.jsonl"
    write(path, hostile_lines(seed, 1_500), final_newline=seed % 2 == 0)
    expected_out, expected_err = evaluate_in_memory(path, datetime.fromisoformat(AT), Engine())
    assert expected_err.count("conflicts with line") >= 10 and expected_out.count("\n") > 100
    code, out, err = run(capsys, str(path), "--at", AT, "--jobs", str(jobs))
    assert (code, err) == (3, expected_err)
    assert out == expected_out


def test_one_chunk_and_many_give_the_same_output(tmp_path, capsys, monkeypatch):
    path = tmp_path / "events.jsonl"
    write(path, hostile_lines(4, 800))
    whole = run(capsys, str(path), "--at", AT, "--jobs", "2")
    monkeypatch.setattr(replay_module, "CHUNK_BYTES", 3_000)
    monkeypatch.setattr(replay_module, "MIN_CHUNK_BYTES", 1_000)
    assert run(capsys, str(path), "--at", AT, "--jobs", "2") == whole
    assert run(capsys, str(path), "--at", AT, "--jobs", "1") == whole


def test_standard_input_is_replayed_like_the_file(tmp_path, capsys, monkeypatch, small_chunks):
    path = tmp_path / "events.jsonl"
    write(path, hostile_lines(5, 600))
    from_file = run(capsys, str(path), "--at", AT, "--jobs", "2")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    assert run(capsys, "-", "--at", AT, "--jobs", "2") == from_file


def test_the_table_lists_the_replayed_warnings(tmp_path, capsys, small_chunks):
    path = tmp_path / "events.jsonl"
    write(path, [dumps(e) for e in generate_events(500, seed=6)])
    at = "2028-07-01T00:00:00+08:00"  # after every event
    _, jsonl, _ = run(capsys, str(path), "--at", at, "--jobs", "2")
    code, table, _ = run(capsys, str(path), "--at", at, "--jobs", "2", "--format", "table")
    ids = [json.loads(x)["warning_id"][:8] for x in jsonl.splitlines()]
    rows = table.splitlines()[2:-1]
    assert code == 0 and [r.split()[0] for r in rows] == ids
    assert table.splitlines()[-1] == f"{len(ids)} 条预警 warnings"


def test_an_empty_file_prints_nothing(tmp_path, capsys):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert run(capsys, str(path), "--at", AT) == (0, "", "")
    assert run(capsys, str(path), "--at", AT, "--format", "table")[1].endswith(
        "0 条预警 warnings\n")


def test_a_file_of_problems_only(tmp_path, capsys, small_chunks):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join([b"{", b"", b"[]"] * 2000))
    code, out, err = run(capsys, str(path), "--at", AT, "--jobs", "2")
    numbers = [int(x.split()[1].rstrip(":")) for x in err.splitlines()]
    assert code == 3 and out == "" and numbers == [n for n in range(1, 6001) if n % 3 != 2]


# --- sorted runs -----------------------------------------------------------------------

def test_runs_merge_back_in_order_whatever_the_spills(tmp_path):
    rng = random.Random(7)
    records = [(rng.choice("abcde") * rng.randint(1, 3), rng.random(), b"x") for _ in range(5000)]
    writer = RunWriter(tmp_path, "t", limit=333)
    for r in records:
        writer.add(r)
    paths = writer.close()
    assert len(paths) == 16 and writer.count == 5000
    assert list(merge(paths)) == sorted(records)
    assert list(merge([])) == []
