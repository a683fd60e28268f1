"""streams.work.Processor: source records and dues in, messages, changelog and dues out."""

import json
from datetime import datetime
from types import SimpleNamespace

import pytest

from streams.case_cache import CaseCache
from streams.case_store import PartitionStore
from streams.settings import Settings
from streams.work import Processor
from tests.support.timeline import shared_engine

NOW = datetime.fromisoformat("2026-05-12T12:00:00+08:00")
DETAINED = {"event_id": "E1", "schema_version": 1, "event_type": "detained",
            "occurred_at": "2026-05-11T10:00:00+08:00", "case_id": "C1",
            "case_kind": "criminal", "person_id": "P1", "unit_id": "U1", "details": {}}


def record(value, key=b"C1", offset=0, partition=0):
    raw = value if isinstance(value, bytes | None) else json.dumps(value).encode()
    return SimpleNamespace(topic="t.case-events", partition=partition, offset=offset, key=key,
                           value=raw)


@pytest.fixture
def processor(tmp_path):
    settings = Settings(topic_prefix="t.", state_dir=tmp_path)
    stores = {p: PartitionStore(tmp_path / f"cases-{p}") for p in (0, 1)}
    yield Processor(settings, shared_engine(), CaseCache(10, 60.0), stores)
    for s in stores.values():
        s.close()


def topics(result) -> list[str]:
    return [s.topic for s in result.sends]


def dead_letters(result) -> list[dict]:
    return [json.loads(s.value) for s in result.sends if s.topic == "t.case-events.dlq"]


def test_a_valid_event_makes_warnings_rows_and_its_changelog(processor):
    result = processor.records([record(DETAINED, offset=7)], NOW)
    kinds = topics(result)
    assert kinds.count("t.warnings") == 3  # the three detention duties, all overdue now
    assert kinds.count("t.case-rows") == 1
    assert kinds.count("t.case-state") == len(result.changelog[0]) > 0
    assert all(s.partition == 0 for s in result.sends if s.topic == "t.case-state")
    rows = json.loads(next(s.value for s in result.sends if s.topic == "t.case-rows"))["rows"]
    assert [r["table"] for r in rows] == ["events", "measure_state"] + ["obligation_state"] * 4
    assert (rows[0]["partition"], rows[0]["offset"]) == (0, 7)
    assert result.offsets == {("t.case-events", 0): 8}
    ((partition, case_id, due),) = result.dues
    assert (partition, case_id) == (0, "C1") and due is not None


def test_the_same_event_again_sends_only_its_changelog_meta(processor):
    processor.records([record(DETAINED, offset=1)], NOW)
    again = processor.records([record(DETAINED, offset=2)], NOW)
    assert topics(again) == ["t.case-state"]
    assert result_items(again) == ["m"]


def result_items(result) -> list[str]:
    return [k.decode()[4 + 2:] for k, _ in result.changelog[0]]


def test_a_case_touched_twice_in_a_batch_is_evaluated_once(processor):
    notice = dict(DETAINED, event_id="E2", event_type="family_notified",
                  occurred_at="2026-05-11T12:00:00+08:00", details={"measure": "detention"})
    result = processor.records([record(DETAINED, offset=1), record(notice, offset=2)], NOW)
    assert topics(result).count("t.case-rows") == 1
    warnings = [json.loads(s.value) for s in result.sends if s.topic == "t.warnings"]
    assert sorted(w["rule_id"] for w in warnings) == ["det_first_interrogation",
                                                     "det_transfer_to_jail"]


MALFORMED = {
    "not json": b"{nope",
    "cut json": json.dumps(DETAINED).encode()[:40],
    "invalid utf-8": b'{"event_id": "\xff\xfe"}',
    "no value": None,
    "empty": b"",
    "wrong type": json.dumps(dict(DETAINED, schema_version="1")).encode(),
    "unknown event type": json.dumps(dict(DETAINED, event_type="teleported")).encode(),
    "no offset on the time": json.dumps(dict(DETAINED, occurred_at="2026-05-11T10:00:00"))
    .encode(),
    "2 MiB": json.dumps(dict(DETAINED, source="x" * 2 * 1024 * 1024)).encode(),
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED)
def test_malformed_input_is_dead_lettered_and_the_batch_goes_on(processor, raw):
    result = processor.records([record(raw, offset=3), record(DETAINED, offset=4)], NOW)
    (dl,) = dead_letters(result)
    assert dl["reasons"] and (dl["partition"], dl["offset"]) == (0, 3)
    assert len(json.dumps(dl)) < 256 * 1024
    assert topics(result).count("t.warnings") == 3  # the valid event after it went through
    assert result.offsets == {("t.case-events", 0): 5}


@pytest.mark.parametrize("key", [None, b"C2", b"\xff"], ids=["no key", "another case", "bytes"])
def test_a_key_that_is_not_the_case_id_is_dead_lettered(processor, key):
    (dl,) = dead_letters(processor.records([record(DETAINED, key=key)], NOW))
    assert "must be the event's case_id 'C1'" in dl["reasons"][0]


def test_a_conflicting_body_is_dead_lettered_and_the_first_stays(processor):
    processor.records([record(DETAINED, offset=1)], NOW)
    other = dict(DETAINED, occurred_at="2026-05-11T11:00:00+08:00")
    result = processor.records([record(other, offset=2)], NOW)
    (dl,) = dead_letters(result)
    assert "seen before with a different body" in dl["reasons"][0]
    assert "t.warnings" not in topics(result)


def test_dues_reload_an_evicted_case_from_its_store(processor):
    first = processor.records([record(DETAINED, offset=1)], datetime.fromisoformat(
        "2026-05-11T11:00:00+08:00"))
    processor.stores[0].apply(first.changelog[0], None)
    processor.cache.drop("C1")
    ((_, _, due),) = first.dues
    result = processor.dues([(0, "C1")], datetime.fromtimestamp(due + 1, NOW.tzinfo))
    levels = {json.loads(s.value)["level"] for s in result.sends if s.topic == "t.warnings"}
    assert levels == {"approaching"}
    assert result.dues[0][2] > due
