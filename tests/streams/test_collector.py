"""streams.collector: the worker's state is frozen out of the collector's automatic passes,
which is safe only because that state holds no reference cycles; a sweep finds what a
freeze kept; every collection is timed."""

import gc
import json
import weakref
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from cli.lifecycles import generate_events
from rules.engine import Engine
from streams import collector, metrics
from streams.case_cache import CaseCache
from streams.case_logic import CaseLogic
from streams.case_store import PartitionStore
from streams.settings import Settings
from streams.work import Processor, Result


class Node:
    """An object that can be part of a cycle and be watched by a weak reference."""

    def __init__(self):
        self.other = None


def cycle() -> weakref.ref:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def unfrozen():
    yield
    gc.unfreeze()


def test_settle_collects_young_cycles_and_freezes_the_survivors():
    kept = [Node() for _ in range(100)]
    gone = cycle()
    before = gc.get_freeze_count()
    collector.settle()
    assert gone() is None
    assert gc.get_freeze_count() >= before + len(kept)
    assert gc.get_count()[0] < 10  # nothing left for the next automatic pass to scan


def test_a_sweep_finds_the_cycles_a_freeze_kept_and_counts_them():
    gc.collect()
    kept = cycle()
    gc.freeze()
    gc.collect()
    assert kept() is not None  # frozen: automatic and explicit passes skip it
    swept = metrics.GC_SWEPT._value.get()
    assert collector.sweep() >= 2
    assert kept() is None
    assert metrics.GC_SWEPT._value.get() >= swept + 2
    assert gc.get_freeze_count() > 0  # what lives is frozen again


def test_every_collection_is_timed_by_generation():
    meter = collector.measure_pauses()
    assert collector.measure_pauses() is meter  # once per process
    counted = metrics.GC_PAUSE.labels("2")._sum.get(), meter.worst
    gc.collect()
    assert metrics.GC_PAUSE.labels("2")._sum.get() > counted[0]
    assert meter.worst > 0 and metrics.GC_PAUSE_MAX._value.get() == meter.worst


def test_the_worker_state_holds_no_cycles(tmp_path):
    """Freezing is safe: cases freed by their reference counts when they leave the cache, and
    processing leaves no cyclic garbage behind."""
    now = datetime.now(UTC)
    events = [e for e in generate_events(3000, seed=3, start=now - timedelta(days=120))
              if datetime.fromisoformat(e["occurred_at"]) < now]
    settings = Settings(topic_prefix="t.", state_dir=tmp_path)
    store = PartitionStore(tmp_path / "cases-0")
    processor = Processor(settings, Engine(), CaseCache(10_000, 1e9), {0: store})
    records = [SimpleNamespace(topic="t.case-events", partition=0, offset=n,
                               key=e["case_id"].encode(), value=json.dumps(e).encode())
               for n, e in enumerate(events)]
    gc.collect()
    gc.disable()
    try:
        for start in range(0, len(records), 100):
            out = Result(0)
            for _ in processor.records(0, records[start:start + 100], now, out):
                pass
            store.apply(out.changelog, None)
        cases = len(processor.cache)
        held = sum(isinstance(o, CaseLogic) for o in gc.get_objects())
        processor.cache.drop_partitions([0])
        del out
        left = sum(isinstance(o, CaseLogic) for o in gc.get_objects())
        found = gc.collect()
    finally:
        gc.enable()
        store.close()
    assert cases > 50 and held == cases
    assert left == 0
    assert found == 0
