"""Malformed input messages, each of a kind the worker must dead-letter: random bytes, cut
JSON, wrong types, invalid UTF-8, missing fields, a Kafka key that is not the case_id (or
none), and 2 MiB bodies. Their case ids start with MAL- so none can pass for a valid event."""

import json
from collections.abc import Iterator
from random import Random

MiB = 1024 * 1024
HUGE = 8  # 2 MiB bodies among them (each costs the broker 2 MiB)

WRONG_TYPES = (
    {"schema_version": "one"},
    {"occurred_at": 1717200000},
    {"event_type": ["detained"]},
    {"case_kind": 7},
    {"person_id": {"id": "P1"}},
    {"details": "none"},
)
REQUIRED = ("event_id", "schema_version", "event_type", "occurred_at", "case_id", "case_kind",
            "person_id", "unit_id")


def _body(i: int) -> dict:
    return {"event_id": f"MAL-{i}", "schema_version": 1, "event_type": "detained",
            "occurred_at": "2024-06-01T10:00:00+08:00", "case_id": f"MAL-{i}",
            "case_kind": "criminal", "person_id": "P1", "unit_id": "U3301"}


def _dump(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _random_bytes(rng: Random, i: int) -> tuple[bytes | None, bytes]:
    return f"MAL-{i}".encode(), rng.randbytes(rng.randrange(0, 300))


def _cut_json(rng: Random, i: int) -> tuple[bytes | None, bytes]:
    raw = _dump(_body(i))
    return f"MAL-{i}".encode(), raw[:rng.randrange(1, len(raw) - 1)]


def _wrong_type(rng: Random, i: int) -> tuple[bytes | None, bytes]:
    return f"MAL-{i}".encode(), _dump({**_body(i), **rng.choice(WRONG_TYPES)})


def _invalid_utf8(rng: Random, i: int) -> tuple[bytes | None, bytes]:
    bad = rng.choice((b"\xff", b"\xc3(", b"\xed\xa0\x80"))  # stray, cut, surrogate
    return f"MAL-{i}".encode(), _dump(_body(i)).replace(b'"U3301"', b'"U33' + bad + b'01"')


def _missing_field(rng: Random, i: int) -> tuple[bytes | None, bytes]:
    body = _body(i)
    del body[rng.choice(REQUIRED)]
    return f"MAL-{i}".encode(), _dump(body)


def _wrong_key(rng: Random, i: int) -> tuple[bytes | None, bytes]:
    return rng.choice((None, f"OTHER-{i}".encode())), _dump(_body(i))


def _huge(rng: Random, i: int) -> tuple[bytes | None, bytes]:
    return f"MAL-{i}".encode(), _dump({**_body(i), "details": {"pad": "x" * (2 * MiB)}})


KINDS = (_random_bytes, _cut_json, _wrong_type, _invalid_utf8, _missing_field, _wrong_key)


def malformed_messages(n: int, rng: Random) -> Iterator[tuple[bytes | None, bytes]]:
    """`n` (key, value) pairs, every kind about equally often, HUGE of them 2 MiB."""
    huge_at = set(rng.sample(range(n), min(HUGE, n)))
    for i in range(n):
        yield (_huge if i in huge_at else KINDS[i % len(KINDS)])(rng, i)
