"""CaseLogic agrees with the engine: whatever the order, batching, duplicates, redeliveries
and reloads of a case's messages, and however its dues are driven, what it last published
per warning is what `Engine.evaluate_case` says at the same instant (the oracle of
`casewatch evaluate`)."""

import json
import random
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from cli.lifecycles import generate_events
from schemas.event import parse_event
from streams.case_logic import Arrival, CaseLogic
from tests.support.timeline import shared_engine

AT = datetime.fromisoformat("2026-03-01T00:00:00+08:00")


def cases(seed: int, events: int = 400) -> dict[str, list]:
    out = defaultdict(list)
    for e in generate_events(events, seed=seed):
        out[e["case_id"]].append(parse_event(json.dumps(e)))
    return out


def feed(logic: CaseLogic, events: list, rng: random.Random,
         now: datetime) -> tuple[CaseLogic, dict]:
    """Deliver the events shuffled, in random batches, with duplicates, redeliveries and
    reloads from the persisted items in between; return the logic and its persisted items."""
    events = events + rng.sample(events, k=len(events) // 4)  # duplicates
    rng.shuffle(events)
    offset, items = 0, {}
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
        if rng.random() < 0.3:
            logic = CaseLogic.restore(logic.case_id, logic.engine, items)
    return logic, items


def last_published(logic: CaseLogic) -> dict[str, tuple]:
    return {key[2:]: (w.level.value, w.status.value, w.changed_at, tuple(w.evidence))
            for key, (_, w) in logic.published.items() if key.startswith("w:")}


def expected(events: list, now: datetime) -> dict[str, tuple]:
    return {w.warning_id: (w.level.value, w.status.value, w.changed_at, tuple(w.evidence))
            for w in shared_engine().evaluate_case(events, now).warnings}


def agree(published: dict, oracle: dict) -> bool:
    """Equal, except that a warning the events no longer raise is published as withdrawn
    (the oracle never lists it)."""
    extra = published.keys() - oracle.keys()
    return (all(published[w][1] == "withdrawn" for w in extra)
            and {w: published.get(w) for w in oracle} == oracle)


@pytest.mark.parametrize("seed", range(6))
def test_any_delivery_publishes_what_the_engine_says(seed):
    rng = random.Random(seed)
    for case_id, events in cases(seed).items():
        logic, _ = feed(CaseLogic(case_id, shared_engine()), events, rng, AT)
        assert agree(last_published(logic), expected(events, AT)), case_id


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
                logic = CaseLogic.restore(case_id, logic.engine, items)
            logic.on_due(datetime.fromtimestamp(due, start.tzinfo))
            items.update(logic.changes())
            fired += 1
            assert fired < 500, case_id
        logic.on_due(end)
        assert agree(last_published(logic), expected(events, end)), case_id
