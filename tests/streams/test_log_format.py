"""streams.log_format: JSON lines or text from the root logger, chosen by CASEWATCH_LOG_FORMAT;
and `casewatch` commands configure it."""

import io
import json
import logging
import re
import sys

import pytest

from cli.main import main
from streams.log_format import (
    JsonFormatter,
    configure_logging,
    log_format_from_env,
    logging_config,
)


@pytest.fixture(autouse=True)
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def record(msg="事件 %s 已处理", args=("E1",), level=logging.WARNING, exc_info=None, **extra):
    r = logging.LogRecord("casewatch.sink", level, __file__, 1, msg, args, exc_info)
    r.created = 1_780_000_000.25
    for k, v in extra.items():
        setattr(r, k, v)
    return r


def test_json_line_fields():
    line = JsonFormatter().format(record())
    assert json.loads(line) == {"ts": "2026-05-28T20:26:40.250+00:00", "level": "WARNING",
                                "logger": "casewatch.sink", "message": "事件 E1 已处理"}
    assert "事件" in line  # not escaped


def test_json_line_keeps_extra_fields_and_the_exception():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc = sys.exc_info()
    entry = json.loads(JsonFormatter().format(
        record("batch failed", (), exc_info=exc, partition=3, path=object())))
    assert entry["partition"] == 3
    assert entry["path"].startswith("<object object")  # not JSON: shown as text
    assert entry["exception"].startswith("Traceback") and "RuntimeError: boom" in entry[
        "exception"]
    assert "\n" not in JsonFormatter().format(record("a\nb", ()))  # one line per record


@pytest.mark.parametrize("env, expected", [({}, "text"), ({"CASEWATCH_LOG_FORMAT": "json"}, "json"),
                                           ({"CASEWATCH_LOG_FORMAT": " JSON "}, "json"),
                                           ({"CASEWATCH_LOG_FORMAT": ""}, "text")])
def test_format_from_env(env, expected):
    assert log_format_from_env(env) == expected


@pytest.mark.parametrize("value", ["xml", "yes", "jsonl"])
def test_bad_format_is_refused(value):
    with pytest.raises(ValueError, match="CASEWATCH_LOG_FORMAT must be one of text, json"):
        log_format_from_env({"CASEWATCH_LOG_FORMAT": value})
    with pytest.raises(ValueError):
        logging_config(value)


def test_configure_logging_json_replaces_the_root_handlers():
    stream = io.StringIO()
    logging.getLogger().addHandler(logging.StreamHandler(io.StringIO()))
    configure_logging("json", "info", stream=stream)
    root = logging.getLogger()
    assert len(root.handlers) == 1 and root.level == logging.INFO
    logging.getLogger("casewatch.x").info("ready", extra={"partitions": 4})
    logging.getLogger("casewatch.x").debug("not shown")
    lines = stream.getvalue().splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["ready"]
    assert json.loads(lines[0])["partitions"] == 4


def test_configure_logging_text():
    stream = io.StringIO()
    configure_logging("text", logging.WARNING, stream=stream)
    logging.getLogger("casewatch.y").warning("plain %d", 7)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING casewatch.y: plain 7\n",
                        stream.getvalue())


def test_commands_log_json_lines_when_asked(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CASEWATCH_LOG_FORMAT", "json")
    assert main(["schema", "--out", str(tmp_path)]) == 0
    logging.getLogger("cli.publish").warning("connection refused")
    err = capsys.readouterr().err.splitlines()
    assert json.loads(err[-1])["message"] == "connection refused"


def test_a_bad_log_format_stops_a_command(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CASEWATCH_LOG_FORMAT", "xml")
    assert main(["schema", "--out", str(tmp_path)]) == 2
    assert "CASEWATCH_LOG_FORMAT must be one of text, json, not 'xml'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
