"""cli.report: --out and, with --send, Kafka are checked before anything is read (a file, a
path under a file, a directory that cannot be written, invalid Kafka settings, Kafka out of
reach), and the arguments that do not go together."""

import os

import pytest
from kafka.errors import KafkaConnectionError

import streams.topics
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
    (["--day", "2026-10-01", "--send", "--out", "{file}"], "is not a directory"),
    (["--month", "2026-10", "--send", "--out", "{dir}"], "--send sends a --day bulletin"),
])
def test_the_command_answers_in_one_line_without_reading(tmp_path, capsys, monkeypatch, args,
                                                        message):
    monkeypatch.setenv("CASEWATCH_CLICKHOUSE_PORT", "1")  # nothing would answer there
    blocker = tmp_path / "f"
    blocker.write_text("x")
    argv = ["report", *(a.format(file=blocker, dir=tmp_path) for a in args)]
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert message in line and line.startswith("casewatch report: ")


def test_send_with_invalid_kafka_settings_exits_2_before_reading(tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("CASEWATCH_CLICKHOUSE_PORT", "1")
    monkeypatch.setenv("CASEWATCH_PARTITIONS", "none")
    assert main(["report", "--day", "2026-10-01", "--send", "--out", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("casewatch report: --send: Kafka 设置无效 / invalid Kafka settings")


def test_send_with_kafka_out_of_reach_exits_4_before_reading(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CASEWATCH_CLICKHOUSE_PORT", "1")
    asked = []

    def unreachable(settings, names):
        asked.append(names)
        raise KafkaConnectionError()

    monkeypatch.setattr(streams.topics, "ensure_topics", unreachable)
    assert main(["report", "--day", "2026-10-01", "--send", "--out", str(tmp_path)]) == 4
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("casewatch report: --send: 无法连接 Kafka / cannot reach Kafka for "
                           "casewatch.bulletins: KafkaConnectionError")
    assert asked == [("bulletins",)]  # only the bulletins topic, and ClickHouse never asked
