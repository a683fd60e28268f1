"""streams.work.Processor: a partition's source records, dues and quarantined cases in;
messages, changelog, dues and the source offset out. One bad case never stops the rest."""

import json
from datetime import datetime
from types import SimpleNamespace

import pytest
from aiokafka.partitioner import DefaultPartitioner

from rules.engine import Engine
from streams.case_cache import CaseCache
from streams.case_store import PartitionStore, item_key
from streams.settings import Settings
from streams.work import MESSAGE_LIMIT, ROWS_LIMIT, Processor, Result
from tests.support.timeline import shared_engine

NOW = datetime.fromisoformat("2026-05-12T12:00:00+08:00")
DETAINED = {"event_id": "E1", "schema_version": 1, "event_type": "detained",
            "occurred_at": "2026-05-11T10:00:00+08:00", "case_id": "C1",
            "case_kind": "criminal", "person_id": "P1", "unit_id": "U1", "details": {}}
NOTICE = dict(DETAINED, event_id="E2", event_type="family_notified",
              occurred_at="2026-05-11T12:00:00+08:00", details={"measure": "detention"})


def record(value, key=b"C1", offset=0, partition=0):
    raw = value if isinstance(value, bytes | None) else json.dumps(value).encode()
    return SimpleNamespace(topic="t.case-events", partition=partition, offset=offset, key=key,
                           value=raw)


class FailingEngine(Engine):
    """The real engine, raising for the events or cases named (a rules bug)."""

    def __init__(self):
        base = shared_engine()
        super().__init__(base.catalogue, base.calendar)
        self.bad_events: set[str] = set()
        self.bad_cases: set[str] = set()

    def step(self, fold, event):
        if event.event_id in self.bad_events or event.case_id in self.bad_cases:
            raise ZeroDivisionError("a rules bug")
        return super().step(fold, event)


@pytest.fixture
def processor(tmp_path):
    settings = Settings(topic_prefix="t.", state_dir=tmp_path)
    stores = {p: PartitionStore(tmp_path / f"cases-{p}") for p in range(4)}
    yield Processor(settings, FailingEngine(), CaseCache(10, 60.0), stores)
    for s in stores.values():
        s.close()


def process(processor, kind, *args, partition=0, commit=True, now=NOW) -> Result:
    """Run one of the processor's kinds of work to the end."""
    out = Result(partition)
    for _ in getattr(processor, kind)(partition, *args, now, out):
        pass
    if commit:  # as the runtime does once the transaction is committed
        processor.stores[partition].apply(out.changelog, None)
    return out


def topics(result) -> list[str]:
    return [s.topic for s in result.sends]


def dead_letters(result) -> list[dict]:
    return [json.loads(s.value) for s in result.sends if s.topic == "t.case-events.dlq"]


def warnings(result) -> list[dict]:
    return [json.loads(s.value) for s in result.sends if s.topic == "t.warnings"]


def items(result) -> list[str]:
    return [k.decode()[4 + 2:] for k, _ in result.changelog]


def test_a_valid_event_makes_warnings_rows_and_its_changelog(processor):
    result = process(processor, "records", [record(DETAINED, offset=7)])
    kinds = topics(result)
    assert kinds.count("t.warnings") == 3  # the three detention duties, all overdue now
    assert kinds.count("t.case-rows") == 1
    assert kinds.count("t.case-state") == len(result.changelog) > 0
    assert all(s.partition == 0 for s in result.sends if s.topic == "t.case-state")
    rows = json.loads(next(s.value for s in result.sends if s.topic == "t.case-rows"))["rows"]
    assert [r["table"] for r in rows] == ["events", "measure_state"] + ["obligation_state"] * 4
    assert (rows[0]["partition"], rows[0]["offset"]) == (0, 7)
    assert result.offset == 8
    ((case_id, due),) = result.dues
    assert case_id == "C1" and due is not None


def test_the_same_event_again_sends_only_its_changelog_meta(processor):
    process(processor, "records", [record(DETAINED, offset=1)])
    again = process(processor, "records", [record(DETAINED, offset=2)])
    assert topics(again) == ["t.case-state"]
    assert items(again) == ["m"]


def test_a_case_touched_twice_in_a_batch_is_evaluated_once(processor):
    result = process(processor, "records", [record(DETAINED, offset=1),
                                            record(NOTICE, offset=2)])
    assert topics(result).count("t.case-rows") == 1
    assert sorted(w["rule_id"] for w in warnings(result)) == ["det_first_interrogation",
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
    result = process(processor, "records", [record(raw, offset=3), record(DETAINED, offset=4)])
    (dl,) = dead_letters(result)
    assert dl["reasons"] and (dl["partition"], dl["offset"]) == (0, 3)
    assert len(json.dumps(dl)) < 256 * 1024
    assert topics(result).count("t.warnings") == 3  # the valid event after it went through
    assert result.offset == 5


@pytest.mark.parametrize("key", [None, b"C2", b"\xff"], ids=["no key", "another case", "bytes"])
def test_a_key_that_is_not_the_case_id_is_dead_lettered(processor, key):
    (dl,) = dead_letters(process(processor, "records", [record(DETAINED, key=key)]))
    assert "must be the event's case_id 'C1'" in dl["reasons"][0]


def test_a_conflicting_body_is_dead_lettered_and_the_first_stays(processor):
    process(processor, "records", [record(DETAINED, offset=1)])
    other = dict(DETAINED, occurred_at="2026-05-11T11:00:00+08:00")
    result = process(processor, "records", [record(other, offset=2)])
    (dl,) = dead_letters(result)
    assert "seen before with a different body" in dl["reasons"][0]
    assert "t.warnings" not in topics(result)


def test_dues_reload_an_evicted_case_from_its_store(processor):
    first = process(processor, "records", [record(DETAINED, offset=1)],
                    now=datetime.fromisoformat("2026-05-11T11:00:00+08:00"))
    processor.cache.drop(0, "C1")
    ((_, due),) = first.dues
    result = process(processor, "dues", ["C1"], now=datetime.fromtimestamp(due + 1, NOW.tzinfo))
    assert {w["level"] for w in warnings(result)} == {"approaching"}
    assert result.dues[0][1] > due


# ---------------------------------------------------------------------- a case's one home

def test_a_record_on_another_partition_than_its_key_s_is_forwarded_there(processor):
    home = DefaultPartitioner()(b"C1", [0, 1, 2, 3], [0, 1, 2, 3])
    elsewhere = (home + 1) % 4
    processor.home = lambda key: DefaultPartitioner()(key, [0, 1, 2, 3], [0, 1, 2, 3])
    result = process(processor, "records", [record(DETAINED, offset=5, partition=elsewhere)],
                     partition=elsewhere)
    (forward,) = result.sends
    assert (forward.topic, forward.partition, forward.key) == ("t.case-events", home, b"C1")
    assert forward.value == json.dumps(DETAINED).encode()  # as it was received
    assert result.offset == 6 and result.changelog == []


# ---------------------------------------------------------------------- one bad case

def test_a_rules_error_dead_letters_only_the_event_that_raises(processor):
    processor.engine.bad_events.add("E2")
    other = dict(DETAINED, event_id="E3", person_id="P2")
    result = process(processor, "records", [record(DETAINED, offset=1),
                                            record(NOTICE, offset=2), record(other, offset=3)])
    (dl,) = dead_letters(result)
    assert (dl["offset"], dl["reasons"]) == (2, ["processing failed: ZeroDivisionError: a rules"
                                                 " bug"])
    assert sorted(i for i in items(result) if i.startswith("e:")) == ["e:E1", "e:E3"]
    assert {w["person_id"] for w in warnings(result)} == {"P1", "P2"}


def test_a_case_whose_history_cannot_be_evaluated_is_quarantined_and_keeps_its_events(
        processor):
    process(processor, "records", [record(DETAINED, offset=1)])
    processor.cache.drop(0, "C1")
    processor.engine.bad_cases.add("C1")
    result = process(processor, "records", [record(NOTICE, offset=2)])
    (system,) = warnings(result)
    assert (system["level"], system["rule_kind"], system["status"]) == ("system", "system",
                                                                        "open")
    assert "案件处理异常" in system["message_zh"] and "ZeroDivisionError" in system["message_en"]
    assert system["case_id"] == "C1" and system["unit_id"] == "U1"
    assert items(result) == ["q", "x:00000000000000000002"]
    assert dead_letters(result) == [] and result.dues == [("C1", None)]
    assert processor.stores[0].quarantined() == ["C1"]
    later = process(processor, "records", [record(dict(NOTICE, event_id="E4"), offset=9)])
    assert items(later) == ["x:00000000000000000009"] and warnings(later) == []


def test_a_stored_item_that_no_longer_validates_quarantines_its_case_only(processor):
    process(processor, "records", [record(DETAINED, offset=1)])
    processor.cache.drop(0, "C1")
    processor.stores[0].apply([(b"0002C1e:E1", b'{"not": "an event"}')], None)
    other_case = dict(DETAINED, case_id="C2", event_id="E9")
    result = process(processor, "records", [record(NOTICE, offset=2),
                                            record(other_case, key=b"C2", offset=3)])
    assert {w["case_id"] for w in warnings(result) if w["level"] == "system"} == {"C1"}
    assert {w["case_id"] for w in warnings(result) if w["level"] != "system"} == {"C2"}
    assert processor.stores[0].quarantined() == ["C1"]


def test_a_due_that_fails_quarantines_its_case(processor):
    first = process(processor, "records", [record(DETAINED, offset=1)],
                    now=datetime.fromisoformat("2026-05-11T11:00:00+08:00"))
    processor.cache.drop(0, "C1")
    # a due reads the person's walk, which an upgrade no longer reads
    processor.stores[0].apply([(item_key("C1", "s:P1"), b'{"format": 1}')], None)
    ((_, due),) = first.dues
    result = process(processor, "dues", ["C1"], now=datetime.fromtimestamp(due + 1, NOW.tzinfo))
    assert [w["rule_id"] for w in warnings(result)] == ["case_processing_error"]
    assert result.dues == [("C1", None)]
    assert process(processor, "dues", ["C1"]).sends == []  # quarantined: no due runs it


def test_once_fixed_a_quarantined_case_is_replayed_with_its_kept_events(processor):
    process(processor, "records", [record(DETAINED, offset=1)])
    processor.cache.drop(0, "C1")
    processor.engine.bad_cases.add("C1")
    process(processor, "records", [record(NOTICE, offset=2)])
    processor.engine.bad_cases.clear()  # the fix
    result = process(processor, "replay")
    assert {"e:E2", "q", "x:00000000000000000002"} <= set(items(result))
    assert [v for k, v in result.changelog if k in (b"0002C1q", b"0002C1x:00000000000000000002")
            ] == [None, None]  # tombstones: the case left quarantine
    system = [w for w in warnings(result) if w["level"] == "system"]
    assert [(w["status"], w["rule_id"]) for w in system] == [("resolved",
                                                             "case_processing_error")]
    assert processor.stores[0].quarantined() == []
    assert {i for i in processor.stores[0].load("C1") if i.startswith("e:")} == {"e:E1", "e:E2"}


def test_a_quarantined_case_that_still_fails_stays_set_aside(processor):
    process(processor, "records", [record(DETAINED, offset=1)])
    processor.cache.drop(0, "C1")
    processor.engine.bad_cases.add("C1")
    process(processor, "records", [record(NOTICE, offset=2)])
    assert process(processor, "replay").sends == []
    assert processor.stores[0].quarantined() == ["C1"]


# ---------------------------------------------------------------------- every output fits

def test_a_big_case_s_rows_are_cut_under_the_limit(processor):
    events = [record(dict(DETAINED, event_id=f"E{i}", person_id=f"P{i % 50}",
                          note="s" * 40_000), offset=i) for i in range(40)]
    result = process(processor, "records", events)
    parts = [s.value for s in result.sends if s.topic == "t.case-rows"]
    assert len(parts) > 1 and all(len(v) <= ROWS_LIMIT for v in parts)
    rows = [r for v in parts for r in json.loads(v)["rows"]]
    assert sum(r["table"] == "events" for r in rows) == 40
    assert max(len(s.value) for s in result.sends if s.value) <= MESSAGE_LIMIT


def test_an_event_dated_more_than_a_day_after_its_record_is_dead_lettered(processor):
    received = datetime.fromisoformat("2026-05-10T09:00:00+08:00").timestamp() * 1000
    early = record(DETAINED, offset=3)
    early.timestamp = received  # the broker's append time: 25 h before occurred_at
    in_time = record(dict(DETAINED, event_id="E5"), offset=4)
    in_time.timestamp = received + 3_600_000  # 24 h before it: still plausible
    result = process(processor, "records", [early, in_time])
    (dl,) = dead_letters(result)
    assert dl["offset"] == 3 and "more than 24 hours after" in dl["reasons"][0]
    assert "e:E5" in items(result)


def test_a_case_of_an_unregistered_unit_raises_a_system_warning_once_until_registered(
        processor):
    from schemas.units import Unit, UnitRegistry

    registry = UnitRegistry([Unit(id="U2", name="二所", kind="派出所")])
    processor.units = lambda: registry
    result = process(processor, "records", [record(DETAINED, offset=1)])
    (system,) = [w for w in warnings(result) if w["level"] == "system"]
    assert (system["rule_id"], system["status"], system["unit_id"]) == (
        "unregistered_unit", "open", "U1")
    assert "未登记单位" not in system["message_en"] and "U1" in system["message_zh"]
    assert len(warnings(result)) == 4  # and the case was processed as usual
    again = process(processor, "records", [record(NOTICE, offset=2)])
    assert [w for w in warnings(again) if w["level"] == "system"] == []  # shown once
    registry = UnitRegistry([Unit(id="U1", name="一所", kind="派出所")])
    later = process(processor, "records", [record(dict(NOTICE, event_id="E7"), offset=3)])
    assert [(w["warning_id"], w["status"]) for w in warnings(later) if w["level"] == "system"
            ] == [(system["warning_id"], "resolved")]


def test_a_key_node_of_a_person_with_a_lawyer_sends_one_notice(processor):
    from rules.lawyer_notices import load_lawyer_nodes
    from streams.lawyer_notices import NoticeFinder

    processor.notices = NoticeFinder(load_lawyer_nodes())
    engaged = dict(DETAINED, event_id="L1", event_type="lawyer_engaged",
                   occurred_at="2026-05-11T09:00:00+08:00", details={"lawyer_id": "LW9"})
    result = process(processor, "records", [record(engaged, offset=1),
                                            record(DETAINED, offset=2)])
    (notice,) = [json.loads(s.value) for s in result.sends if s.topic == "t.lawyer-notices"]
    assert (notice["lawyer_id"], notice["node"], notice["person_id"]) == ("LW9", "detained",
                                                                          "P1")
    assert f"n:{notice['notice_id']}" in items(result)
    again = process(processor, "records", [record(NOTICE, offset=3)])  # another node
    assert [json.loads(s.value)["node"] for s in again.sends
            if s.topic == "t.lawyer-notices"] == ["family_notified"]  # the first not again
    other = dict(DETAINED, case_id="C2", event_id="E9")
    assert not [s for s in process(processor, "records", [record(other, key=b"C2", offset=4)]
                                   ).sends if s.topic == "t.lawyer-notices"]  # no lawyer
