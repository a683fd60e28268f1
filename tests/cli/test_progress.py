"""cli.progress on a terminal and in a pipe: the class with a fake clock, and the real
commands (`generate`, `evaluate`) with standard error on a pseudo-terminal or a pipe."""

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli.progress import Progress

CASEWATCH = Path(sys.executable).parent / "casewatch"
REPO = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_terminal_shows_counts_after_the_delay_at_most_every_interval():
    out, clock = Terminal(), Clock()
    with Progress("读取 reading", "lines", total=10, stream=out, clock=clock) as p:
        p.advance(3)
        assert out.getvalue() == ""  # within the first 0.5 s: nothing
        clock.now = 0.5
        p.advance()
        assert out.getvalue() == "\r读取 reading: 4 / 10 (40%) lines, 8/s\x1b[K"
        clock.now = 0.6
        p.advance()  # within 0.2 s of the last draw: not redrawn
        assert out.getvalue().count("\r") == 1
        clock.now = 1.0
        p.advance(5)
    assert out.getvalue().endswith("\r读取 reading: 10 / 10 (100%) lines, 10/s\x1b[K\n")


def test_quick_work_on_a_terminal_writes_nothing():
    out = Terminal()
    with Progress("x", "lines", stream=out, clock=Clock()) as p:
        p.advance(1000)
    assert out.getvalue() == ""


def test_a_pipe_gets_nothing_but_printed_lines():
    out, clock = io.StringIO(), Clock()
    with Progress("x", "lines", stream=out, clock=clock) as p:
        clock.now = 5
        assert list(p.wrap(range(3))) == [0, 1, 2]
        p.print("line 2: bad")
    assert out.getvalue() == "line 2: bad\n"
    assert p.count == 3


def test_printed_lines_go_above_the_progress_line():
    out, clock = Terminal(), Clock()
    p = Progress("x", "lines", stream=out, clock=clock)
    clock.now = 1
    p.advance()
    p.print("line 1: bad")
    assert out.getvalue() == ("\rx: 1 lines, 1/s\x1b[K" "\r\x1b[Kline 1: bad\n"
                              "\rx: 1 lines, 1/s\x1b[K")


N = 30_000  # enough that each command runs past the progress delay


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("progress") / "events.jsonl"
    subprocess.run([str(CASEWATCH), "generate", "--events", str(N), "--out", str(path)],
                   check=True, capture_output=True)
    return path


def test_generate_shows_progress_on_a_terminal(tmp_path, run_on_terminal):
    status, terminal = run_on_terminal([CASEWATCH, "generate", "--events", N, "--out",
                                        "e.jsonl"], tmp_path)
    assert status == 0
    assert f"生成 generating: {N:,} / {N:,} (100%) events" in terminal
    assert terminal.count("\r") >= 2


def test_generate_is_quiet_in_a_pipe(tmp_path):
    proc = subprocess.run([str(CASEWATCH), "generate", "--events", str(N), "--out", "e.jsonl"],
                          cwd=tmp_path, capture_output=True, text=True, check=True)
    assert proc.stderr == f"wrote {N} events to e.jsonl\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_evaluate_shows_progress_on_a_terminal(events, tmp_path, run_on_terminal, jobs):
    status, terminal = run_on_terminal([CASEWATCH, "evaluate", events, "--at",
                                        "2028-07-01T00:00:00+08:00", "--jobs", jobs], tmp_path)
    assert status == 0
    assert f"读取 reading: {N:,} lines" in terminal  # the last drawing of each line
    assert f"评估 evaluating: {N:,} / {N:,} (100%) events" in terminal


def test_whatif_shows_progress_on_a_terminal(events, tmp_path, run_on_terminal):
    status, terminal = run_on_terminal([CASEWATCH, "whatif", events, "--catalogue",
                                        REPO / "rules", "--jobs", "2"], tmp_path)
    assert status == 0
    assert re.search(r"评估 evaluating: ([\d,]+) / \1 \(100%\) events", terminal)


def test_evaluate_is_quiet_in_a_pipe(events, tmp_path):
    proc = subprocess.run([str(CASEWATCH), "evaluate", str(events), "--at",
                           "2028-07-01T00:00:00+08:00", "--jobs", "1"],
                          cwd=tmp_path, capture_output=True, text=True, check=True)
    assert proc.stderr == ""
    assert proc.stdout.count("\n") > 0
