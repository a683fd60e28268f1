"""cli.report: --out is checked before anything is read (a file, a path under a file, a
directory that cannot be written), and the arguments that do not go together."""

import os

import pytest

from cli.main import main
from cli.report import writable_dir_problem


def test_a_new_directory_under_a_writable_one_is_fine(tmp_path):
    assert writable_dir_problem(tmp_path / "a" / "b") is None
    assert writable_dir_problem(tmp_path) is None


def test_a_file_or_a_path_under_a_file_is_refused(tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("x")
    assert writable_dir_problem(blocker) == f"{blocker} 不是目录 / is not a directory"
    assert writable_dir_problem(blocker / "x" / "y") == f"{blocker} 不是目录 / is not a directory"


def test_an_unwritable_directory_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as for a user who may not
    assert writable_dir_problem(tmp_path / "new") == f"{tmp_path} 不可写 / is not writable"


@pytest.mark.parametrize("args, message", [
    (["--month", "2026-10", "--out", "{file}"], "is not a directory"),
    (["--day", "2026-10-01", "--out", "{file}/x"], "is not a directory"),
    (["--day", "2026-10-01", "--send", "--out", "{dir}"], "--send needs"),
])
def test_the_command_answers_in_one_line_without_reading(tmp_path, capsys, monkeypatch, args,
                                                        message):
    monkeypatch.setenv("CASEWATCH_CLICKHOUSE_PORT", "1")  # nothing would answer there
    monkeypatch.delenv("CASEWATCH_BULLETIN_OUTBOX", raising=False)
    blocker = tmp_path / "f"
    blocker.write_text("x")
    argv = ["report", *(a.format(file=blocker, dir=tmp_path) for a in args)]
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert message in line and line.startswith("casewatch report: ")
