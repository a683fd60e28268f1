"""Rule sets changed live (streams/rulesets.py, the processor's switch and sweep): a
partition switches at its marker, re-times every case it holds under the new rules, and
ends where `casewatch evaluate` under the new rules ends; a marker naming another rule set
than the one published last is dead-lettered."""

import json
from datetime import datetime
from types import SimpleNamespace

import pytest

from rules.engine import Engine
from rules.ruleset import load_ruleset, read_ruleset_files
from schemas.event import parse_event
from streams.case_cache import CaseCache
from streams.case_store import PartitionStore
from streams.rulesets import (
    CONTROL_HEADER,
    PARTITION_CASE,
    RULESET_ITEM,
    RulesetBook,
    RulesetMarker,
    ruleset_record,
)
from streams.settings import Settings
from streams.work import Processor, Result
from tests.support.rulesets import copy_rules, edit
from tests.support.timeline import shared_engine

T0 = "2026-05-11T08:00:00+08:00"
NOW = datetime.fromisoformat("2026-05-12T06:00:00+08:00")  # 22 h after the detentions


def detained(case_id: str) -> dict:
    return {"event_id": f"E-{case_id}", "schema_version": 1, "event_type": "detained",
            "occurred_at": T0, "case_id": case_id, "case_kind": "criminal",
            "person_id": "P1", "unit_id": "U3301", "details": {}}


def record(value: dict | bytes, offset: int, key: bytes | None = None, headers=()):
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return SimpleNamespace(topic="t.case-events", partition=0, offset=offset, key=key,
                           value=raw, headers=list(headers))


def marker(content_hash: str, offset: int):
    value = RulesetMarker(content_hash=content_hash).model_dump_json().encode()
    return record(value, offset, headers=[(CONTROL_HEADER, b"ruleset")])


@pytest.fixture
def proposal(tmp_path):
    """The installed rules with the family notice due in 12 h (not 24) and the transfer to
    jail rule removed."""
    rules = copy_rules(tmp_path / "rules")
    edit(rules / "catalogue" / "det_family_notice.toml", 'period = "24h"', 'period = "12h"')
    (rules / "catalogue" / "det_transfer_to_jail.toml").unlink()
    return rules


@pytest.fixture
def processor(tmp_path, proposal):
    settings = Settings(topic_prefix="t.", state_dir=tmp_path)
    book = RulesetBook(settings, shared_engine())
    book._take(ruleset_record(*read_ruleset_files(proposal), "op").model_dump_json().encode())
    store = PartitionStore(tmp_path / "cases-0")
    yield Processor(settings, shared_engine(), CaseCache(100, 60.0), {0: store}, book=book)
    store.close()


def run(processor, kind, *args) -> Result:
    out = Result(0)
    for _ in getattr(processor, kind)(0, *args, NOW, out):
        pass
    processor.stores[0].apply(out.changelog, None)
    return out


def last_states(results) -> dict[str, tuple]:
    out = {}
    for result in results:
        for s in result.sends:
            if s.topic == "t.warnings":
                w = json.loads(s.value)
                out[w["warning_id"]] = (w["level"], w["status"], w["catalogue_version"])
    return out


def test_a_marker_switches_the_partition_and_the_sweep_retimes_every_case(processor,
                                                                          proposal):
    events = [detained(f"C{i}") for i in range(5)]
    first = run(processor, "records", [record(e, i, e["case_id"].encode())
                                       for i, e in enumerate(events)])
    new = Engine.from_ruleset(load_ruleset(proposal))
    switched = run(processor, "records", [marker(new.catalogue.version.split(" (")[-1]
                                                 .rstrip(")"), 9)])
    assert switched.sweep == "running" and processor.engine_of(0) is not processor.engine
    assert processor.stores[0].get(PARTITION_CASE, RULESET_ITEM).startswith(b"sha256:")
    sweeps = []
    while (sweep := run(processor, "sweep")).sweep != "done" or not sweeps:
        sweeps.append(sweep)
        if sweep.sweep == "done":
            break
    published = last_states([first, switched, *sweeps])
    expected = {w.warning_id: (w.level.value, w.status.value)
                for e in events
                for w in new.evaluate_case([parse_event(json.dumps(e))], NOW).warnings}
    for wid, state in expected.items():
        assert published[wid][:2] == state
        assert published[wid][2] == new.catalogue.version
    gone = {wid: s for wid, s in published.items() if wid not in expected}
    assert gone and {s[1] for s in gone.values()} == {"withdrawn"}  # the removed rule's
    assert {s[0] for wid, s in published.items() if wid in expected} >= {"overdue"}


def test_a_marker_naming_another_rule_set_than_the_latest_is_dead_lettered(processor):
    result = run(processor, "records", [marker("sha256:" + "0" * 64, 3)])
    (letter,) = [json.loads(s.value) for s in result.sends if s.topic == "t.case-events.dlq"]
    assert "is not the one published last" in letter["reasons"][0]
    assert result.sweep is None and processor.engines == {}


def test_a_marker_of_the_rules_in_force_changes_nothing(processor):
    installed = processor.engine.catalogue.version.split(" (")[-1].rstrip(")")
    processor.book.latest = installed
    result = run(processor, "records", [marker(installed, 4)])
    assert result.sends == [] and result.sweep is None and result.offset == 5
