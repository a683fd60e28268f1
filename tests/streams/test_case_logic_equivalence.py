"""CaseLogic agrees with the engine: whatever the order, batching, duplicates, redeliveries
and reloads of a case's messages, and however its dues are driven, what it last published
per warning, obligation and measure (read back from the items it persisted) is what
`Engine.evaluate_case` says at the same instant (the oracle of `casewatch evaluate`).

Histories come from realistic lifecycles (cli.lifecycles) and from arbitrary sequences of
event types (tests/rules/test_properties.py), retractions of retractions included; a case
is reloaded from its persisted items at random points, also as a store written before
subjects' walks were persisted, and with rules of another fingerprint.
"""

import json
import random
from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.lifecycles import generate_events
from rules.engine import Engine, subject_of
from schemas.case_state import CaseMeta
from schemas.event import parse_event
from streams.case_items import subject_key
from streams.case_logic import Arrival, CaseLogic, parse_published
from tests.rules.test_properties import CASES, SETTINGS
from tests.support.timeline import shared_engine

AT = datetime.fromisoformat("2026-03-01T00:00:00+08:00")


def cases(seed: int, events: int = 400) -> dict[str, list]:
    out = defaultdict(list)
    for e in generate_events(events, seed=seed):
        out[e["case_id"]].append(parse_event(json.dumps(e)))
    return out


def legacy(items: dict[str, bytes]) -> dict[str, bytes]:
    """The items as a store written before subjects' walks were persisted holds them."""
    meta = CaseMeta.model_validate_json(items["m"])
    old = {k: v for k, v in items.items() if k[:2] in ("e:", "p:")}
    old["m"] = json.dumps({"offset": meta.offset, "version": meta.version,
                           "next_due": meta.next_due}).encode()
    return old


def reload(logic: CaseLogic, items: dict[str, bytes], rng: random.Random) -> CaseLogic:
    """The case evicted and read again from its items (now and then from an older store)."""
    if rng.random() < 0.1:
        return CaseLogic.restore(logic.case_id, logic.engine, legacy(items))
    return CaseLogic.restore(logic.case_id, logic.engine, items)


def feed(logic: CaseLogic, events: list, rng: random.Random, now: datetime,
         check: bool = False) -> tuple[CaseLogic, dict]:
    """Deliver the events shuffled, in random batches, with duplicates, redeliveries and
    reloads from the persisted items in between; return the logic and its persisted items.
    `check`: compare with the oracle after every batch."""
    events = events + rng.sample(events, k=len(events) // 4)  # duplicates
    rng.shuffle(events)
    offset, items, seen = 0, {}, []
    while events:
        n = rng.randint(1, 4)
        batch, events = events[:n], events[n:]
        arrivals = []
        for e in batch:
            offset += 1
            arrivals.append(Arrival(e, e.model_dump_json().encode(), offset))
        if rng.random() < 0.2:  # a crash: the batch comes again with its old offsets
            logic.on_events(arrivals, now)
        logic.on_events(arrivals, now)
        items.update(logic.changes())
        seen += batch
        if check:
            assert_agrees(items, seen, now)
        if rng.random() < 0.3:
            logic = reload(logic, items, rng)
    return logic, items


def as_json(record) -> dict:
    return record if isinstance(record, dict) else record.model_dump(mode="json")


def published(items: dict[str, bytes]) -> dict[str, dict]:
    return {key[2:]: as_json(parse_published(value))
            for key, value in items.items() if key.startswith("p:")}


def oracle(events: list, now: datetime) -> dict[str, dict]:
    result = shared_engine().evaluate_case(events, now, obligations=True)
    out = {f"w:{w.warning_id}": w for w in result.warnings}
    out |= {f"o:{s['obligation_id']}": s for s in result.obligations}
    out |= {f"m:{m.person_id}:{m.measure}": m for m in result.measures}
    return {k: as_json(r) for k, r in out.items()}


def assert_indexed(items: dict[str, bytes]) -> None:
    """Each subject's index (its chunks and the ids its state holds) lists its events."""
    stored = defaultdict(set)
    for key, value in items.items():
        if key.startswith("e:"):
            stored[subject_key(subject_of(parse_event(value)))].add(key[2:])
    indexed = defaultdict(list)
    for key, value in items.items():
        if key.startswith("s:"):
            indexed[key[2:]] += json.loads(value)["recent"]
        elif key.startswith("i:"):
            indexed[key[6:6 + int(key[2:6], 16)]] += json.loads(value)
    assert {s: sorted(ids) for s, ids in indexed.items()} == {
        s: sorted(ids) for s, ids in stored.items()}


def assert_agrees(items: dict[str, bytes], events: list, now: datetime) -> None:
    """Every record the oracle lists is published as it says; a record published that the
    events no longer raise is published withdrawn (a measure: ended). The subjects' indexes
    are complete."""
    if "m" in items and json.loads(items["m"])["walk"]:
        assert_indexed(items)
    got, expected = published(items), oracle(events, now)
    assert {k: got.get(k) for k in expected} == expected
    for key in got.keys() - expected.keys():
        record = got[key]
        assert record.get("status") == "withdrawn" or record.get("active") is False, key


@pytest.mark.parametrize("seed", range(6))
def test_any_delivery_publishes_what_the_engine_says(seed):
    rng = random.Random(seed)
    for case_id, events in cases(seed).items():
        logic, items = feed(CaseLogic(case_id, shared_engine()), events, rng, AT)
        assert_agrees(items, events, AT)


@pytest.mark.parametrize("seed", range(3))
def test_dues_alone_bring_the_case_to_the_later_instant(seed):
    """Events processed at one instant; then only dues, each at its own instant, up to
    30 days later: the published state is the engine's at that later instant."""
    rng = random.Random(seed)
    start = datetime.fromisoformat("2026-01-02T00:00:00+08:00")
    end = start + timedelta(days=30)
    for case_id, events in cases(seed, 300).items():
        logic, items = feed(CaseLogic(case_id, shared_engine()), events, rng, start)
        fired = 0
        while (due := logic.next_due()) is not None and due <= end.timestamp():
            if rng.random() < 0.3:  # evicted from memory, reloaded for its due
                logic = reload(logic, items, rng)
            logic.on_due(datetime.fromtimestamp(due, start.tzinfo))
            items.update(logic.changes())
            fired += 1
            assert fired < 500, case_id
        logic.on_due(end)
        items.update(logic.changes())
        assert_agrees(items, events, end)


@SETTINGS
@given(events=CASES, seed=st.integers(0, 2**32 - 1))
def test_every_batch_and_due_publishes_what_the_engine_says(events, seed):
    """Events arrive in random batches at random, rising instants (some dated ahead of
    them), with duplicates, redeliveries, reloads and dues between them; after each
    batch and its dues the published state is the engine's at that instant."""
    rng = random.Random(seed)
    times = sorted(e.occurred_at for e in events)
    now = times[0] - timedelta(hours=rng.randint(0, 48))
    logic = CaseLogic(events[0].case_id, shared_engine())
    pool = events + rng.sample(events, k=len(events) // 3)
    rng.shuffle(pool)
    offset, items, seen = 0, {}, []
    while pool:
        n = rng.randint(1, 3)
        batch, pool = pool[:n], pool[n:]
        now += timedelta(minutes=rng.choice([0, 30, 6 * 60, 30 * 60, 5 * 24 * 60]))
        arrivals = []
        for e in batch:
            offset += 1
            arrivals.append(Arrival(e, e.model_dump_json().encode(), offset))
        if rng.random() < 0.15:  # redelivered after a crash
            logic.on_events(arrivals, now)
        logic.on_events(arrivals, now)
        items.update(logic.changes())
        seen += batch
        while (due := logic.next_due()) is not None and due <= now.timestamp():
            logic.on_due(datetime.fromtimestamp(due, now.tzinfo))
            items.update(logic.changes())
        logic.on_due(now)
        items.update(logic.changes())
        assert_agrees(items, seen, now)
        if rng.random() < 0.3:
            logic = reload(logic, items, rng)
    later = now + timedelta(days=400)
    while (due := logic.next_due()) is not None and due <= later.timestamp():
        logic.on_due(datetime.fromtimestamp(due, now.tzinfo))
        items.update(logic.changes())
        if rng.random() < 0.2:
            logic = reload(logic, items, rng)
    logic.on_due(later)
    items.update(logic.changes())
    assert_agrees(items, seen, later)


def test_every_batch_of_lifecycles_agrees_with_the_engine():
    rng = random.Random(11)
    for case_id, events in list(cases(11, 300).items()):
        feed(CaseLogic(case_id, shared_engine()), events, rng, AT, check=True)


def test_rules_of_another_fingerprint_walk_the_case_afresh():
    """A case stored with other rules is walked again with the current ones: it publishes
    what they say (here, the same rules under another fingerprint publish nothing new)."""
    rng = random.Random(5)
    events = next(iter(cases(5, 200).values()))
    logic, items = feed(CaseLogic(events[0].case_id, shared_engine()), events, rng, AT)
    other = Engine()
    other.fingerprint = "another"  # as if the catalogue had changed
    again = CaseLogic.restore(logic.case_id, other, items)
    outcome = again.on_due(AT)
    assert (outcome.warnings, outcome.obligations, outcome.measures) == ([], [], [])
    changes = again.changes()
    assert CaseMeta.model_validate_json(changes["m"]).walk == "another"
    assert any(k.startswith("s:") for k in changes)
