"""Detentions dated 1900 and 9999, published with kcat among valid events, as the issue
found them: they are dead-lettered at validation by the worker (not by the sink, and not
warned on), and ClickHouse holds what the warnings topic and `casewatch evaluate` say for
the rest (tests/support/checks.py).

The 9999 event is refused by the check against the broker's clock
(schemas.time_window.check_not_ahead), which the worker applies once issue 16's core
wires it: until then that case is an expected failure.
"""

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.checks import pipeline_failures
from tests.support.kafka_topics import read_topic
from tests.support.sandbox import Sandbox

BAD = {
    "1900": "1900-01-01T00:00:00+08:00",
    "9999": "9999-12-31T23:59:59+08:00",
}
REASON = {  # the start of the worker's reason, after the event type
    "1900": "occurred_at: 1900-01-01T00:00:00+08:00 is before 1990-01-01T00:00:00+08:00, "
            "the earliest time an event may carry",
    "9999": "occurred_at: 9999-12-31T23:59:59+08:00 is more than 24 hours after ",
}


def detention(case_id: str, occurred_at: str, n: int = 1, person: str = "P1",
              event_type: str = "detained", **details) -> dict:
    event = dict(event_id=f"{case_id}-{n}", schema_version=1, event_type=event_type,
                 occurred_at=occurred_at, case_id=case_id, case_kind="criminal",
                 person_id=person, unit_id="U3301")
    if details:
        event["details"] = details
    return event


def valid_events() -> list[dict]:
    """Detentions of 30 h ago (their 24 h duties overdue), half of them notified in time."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
    events = []
    for i in range(12):
        case = f"DV{i}"
        events.append(detention(case, (start + timedelta(minutes=i)).isoformat()))
        if i % 2:
            events.append(detention(case, (start + timedelta(hours=3)).isoformat(), 2,
                                    event_type="family_notified", measure="detention"))
    return events


def kcat_publish(bootstrap: str, topic: str, events: list[dict], tmp_path) -> None:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: run deploy/os-deps (Debian package kcat)"
    lines = tmp_path / "events.tsv"
    lines.write_text("".join(f"{e['case_id']}\t{json.dumps(e)}\n" for e in events),
                     encoding="utf-8")
    sent = subprocess.run([kcat, "-P", "-l", "-K", "\t", "-b", bootstrap, "-t", topic,
                           str(lines)], capture_output=True, text=True, timeout=120)
    assert sent.returncode == 0, sent.stderr


@pytest.mark.parametrize("year", [
    "1900",
    "9999",
])
def test_a_detention_dated_outside_the_window_is_dead_lettered_at_validation(
        stack, tmp_path, year):
    box = Sandbox(stack, tmp_path)
    try:
        good = valid_events()
        bad = [detention("DX1", BAD[year]),  # a case of its own
               # and in a case with valid events: its detention stays unnotified
               detention("DV0", BAD[year], 9, event_type="family_notified",
                         measure="detention")]
        worker = box.worker("w1")
        worker.start()
        kcat_publish(stack.bootstrap, box.topic("case-events"),
                     good[:10] + bad[:1] + good[10:] + bad[1:], tmp_path)

        failures = pipeline_failures(box, good, tmp_path, dead_letters=len(bad))
        letters = [json.loads(r.value) for r in read_topic(stack.bootstrap,
                                                           box.topic("case-events.dlq"))]
        assert failures == []
        assert sorted((d["topic"], d["key"], json.loads(d["value_text"]).get("event_id"))
                      for d in letters) == sorted(
            (box.topic("case-events"), e["case_id"], e["event_id"]) for e in bad)
        for letter in letters:  # the worker's validation, not the sink
            assert REASON[year] in letter["reasons"][0], letter["reasons"]
            assert not letter["reasons"][0].startswith("sink"), letter["reasons"]
    finally:
        box.close()
