"""streams.dead_letter: the record sent to the dead-letter topic."""

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest

from streams.dead_letter import dead_letter
from streams.settings import Settings
from streams.work import MESSAGE_LIMIT

TOPIC = "casewatch.case-events"


def record(raw, key=b"C1", reasons=("r",), topic=TOPIC, partition=2, offset=17) -> dict:
    out = dead_letter(raw, key, list(reasons), topic, partition, offset)
    assert isinstance(out, bytes)
    return json.loads(out)


def original(rec: dict) -> bytes | None:
    """The original value as the record gives it back (null for a message without one)."""
    b64 = rec["value_base64"]
    return None if b64 is None else base64.b64decode(b64, validate=True)


def test_where_it_came_from_and_why():
    rec = record(b'{"x":1}', key=b"C-9", reasons=["a: bad", "b: missing"],
                 topic="casewatch.case-events", partition=3, offset=12345)
    assert rec["reasons"] == ["a: bad", "b: missing"]
    assert (rec["topic"], rec["partition"], rec["offset"]) == ("casewatch.case-events", 3, 12345)
    assert rec["key"] == "C-9"
    assert rec["value_text"] == '{"x":1}'
    assert set(rec) == {"reasons", "topic", "partition", "offset", "key", "value_base64",
                        "value_text", "value_length", "value_sha256", "value_truncated",
                        "dead_lettered_at"}
    assert (rec["value_length"], rec["value_truncated"]) == (7, False)
    assert rec["value_sha256"] == hashlib.sha256(b'{"x":1}').hexdigest()


@pytest.mark.parametrize("size", [750_000, 2 * 1024 * 1024, 20 * 1024 * 1024])
def test_a_large_original_is_cut_and_identified(size):
    raw = bytes(range(256)) * (size // 256)
    out = dead_letter(raw, b"C1", ["too large"], TOPIC, 0, 1, value_limit=128 * 1024)
    assert len(out) < 200 * 1024  # far below the broker's 1 MB default
    rec = json.loads(out)
    assert original(rec) == raw[: 128 * 1024]
    assert (rec["value_length"], rec["value_truncated"]) == (len(raw), True)
    assert rec["value_sha256"] == hashlib.sha256(raw).hexdigest()


def test_many_long_reasons_are_bounded():
    out = dead_letter(b"{}", b"C1", ["r" * 100_000] * 1000, TOPIC, 0, 1)
    rec = json.loads(out)
    assert len(rec["reasons"]) == 20 and {len(r) for r in rec["reasons"]} == {1024}


def test_the_largest_dead_letter_fits_an_output_message():
    """The worst case: the largest value the settings allow, of characters JSON escapes,
    the most and longest reasons, a long key."""
    limit = Settings.model_fields["dead_letter_value_limit"].metadata
    most = next(m.le for m in limit if hasattr(m, "le"))
    out = dead_letter(b"\x01" * (2 * most), b"\x01" * 5000, ["\x01" * 5000] * 100, TOPIC, 0, 1,
                      value_limit=most)
    assert len(out) <= MESSAGE_LIMIT


@pytest.mark.parametrize(
    "raw",
    [
        b'{"event_id": "e1"}',
        "{\"case_id\": \"案件-1\"}".encode(),
        b"\xff\xfe\x00garbage\x80",  # not UTF-8
        bytes(range(256)),
        b"",
        b"x" * 70_000,  # over the message limit
    ],
    ids=["json", "utf-8 chinese", "not utf-8", "all bytes", "empty", "large"],
)
def test_original_bytes_round_trip(raw):
    assert original(record(raw)) == raw


def test_none_value_round_trips_as_none():
    assert original(record(None)) is None
    assert original(record(b"")) == b""


def test_none_value_still_dead_letters():
    rec = record(None, key=b"C7", reasons=["message has no value"], partition=1, offset=9)
    assert rec["reasons"] == ["message has no value"]
    assert (rec["key"], rec["partition"], rec["offset"]) == ("C7", 1, 9)
    assert rec["value_text"] is None and rec["value_base64"] is None


@pytest.mark.parametrize(
    "key,expected",
    [(b"C1", "C1"), ("案件-1".encode(), "案件-1"), (None, None), (b"\xffC", "\ufffdC"), (b"", "")],
)
def test_key(key, expected):
    assert record(b"{}", key=key)["key"] == expected


@pytest.mark.parametrize(
    "raw,text",
    [
        (b"plain", "plain"),
        ("中文".encode(), "中文"),
        (b"a\xffb", "a\ufffdb"),
        (b"y" * 5000, "y" * 4096),  # the text copy is cut; the base64 copy is not
    ],
)
def test_value_text(raw, text):
    rec = record(raw)
    assert rec["value_text"] == text
    assert original(rec) == raw


def test_output_is_utf8_json_with_chinese_kept():
    out = dead_letter("中".encode(), "案".encode(), ["原因"], TOPIC, 0, 0)
    assert "原因" in out.decode("utf-8") and "案" in out.decode("utf-8")


def test_dead_lettered_at_is_now_in_utc():
    before = datetime.now(UTC).replace(microsecond=0)
    at = record(b"{}")["dead_lettered_at"]
    after = datetime.now(UTC)
    parsed = datetime.fromisoformat(at)
    assert parsed.utcoffset().total_seconds() == 0
    assert before <= parsed <= after
    assert at.endswith("Z") or at.endswith("+00:00")
