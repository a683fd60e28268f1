"""streams.runtime: each partition's share of a job is committed in its own transaction and
only then reaches the store, the due index and the committed offset; a fenced partition is
lost alone; partitions are restored in steps and kept across a rebalance that gives them
back; work hands the event loop back."""

import asyncio
import gc
import json
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from rules.clock import FixedClock
from streams import collector
from streams import runtime as runtime_module
from streams.outputs import Fenced, OutputsFailed
from streams.runtime import Runtime
from streams.settings import Settings
from streams.task import ACTIVE, LOST, RESTORING, SUSPENDED
from streams.work import Job
from tests.support.timeline import shared_engine

NOW = datetime.fromisoformat("2026-05-11T12:00:00+08:00")


def detained(case_id: str, person: str = "P1", at: str = "2026-05-10T08:00:00+08:00") -> dict:
    return {"event_id": f"E-{case_id}-{person}", "schema_version": 1,
            "event_type": "detained", "occurred_at": at, "case_id": case_id,
            "case_kind": "criminal", "person_id": person, "unit_id": "U1", "details": {}}


def record(event: dict, partition: int = 0, offset: int = 7):
    return SimpleNamespace(topic="t.case-events", partition=partition, offset=offset,
                           key=event["case_id"].encode(), value=json.dumps(event).encode())


class Producer:
    """Commits in memory; `fail` is raised by the next commit."""

    fail: Exception | None = None
    commits: list = []

    def __init__(self, settings, partition):
        self.partition = partition

    async def start(self):
        pass

    async def stop(self):
        pass

    async def commit(self, sends, offsets, group_id):
        if Producer.fail is not None:
            raise Producer.fail
        Producer.commits.append((self.partition, [s.topic for s in sends], offsets))
        return [(self.partition, 100 + n) for n in range(len(sends))]


class Restorer:
    """The changelog holds what the stores have applied: nothing to catch up."""

    def __init__(self, rt: Runtime):
        self.rt = rt

    async def end(self, partition):
        return self.rt.tasks[partition].store.checkpoint()

    async def step(self, store, partition, start):
        raise AssertionError("nothing to restore")


@pytest.fixture
def runtime(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime_module, "PartitionProducer", Producer)
    Producer.fail, Producer.commits = None, []
    rt = Runtime(Settings(topic_prefix="t.", state_dir=tmp_path), shared_engine(),
                 FixedClock(NOW))
    rt.restorer = Restorer(rt)
    yield rt
    for task in rt.tasks.values():
        task.store.close()


def take_up(rt: Runtime, *partitions: int) -> None:
    async def go():
        await rt.assign(set(partitions))
        while rt.restoring():
            await rt.restore_step()

    asyncio.run(go())


def test_a_partition_s_share_is_committed_with_its_offset_then_stored(runtime):
    take_up(runtime, 0, 1)
    asyncio.run(runtime.execute(Job(records=[record(detained("C1"), 0, 7),
                                             record(detained("C2"), 1, 3)])))
    by_partition = {p: (topics, offsets) for p, topics, offsets in Producer.commits}
    topics, offsets = by_partition[0]
    assert "t.case-state" in topics and "t.warnings" in topics
    assert [(tp.topic, tp.partition, o) for tp, o in offsets.items()] == [
        ("t.case-events", 0, 8)]
    assert runtime.tasks[0].committed == 8 and runtime.tasks[1].committed == 4
    assert runtime.tasks[0].store.load("C1") and runtime.tasks[1].store.load("C2")
    last = max(i for i, t in enumerate(topics) if t == "t.case-state")
    assert runtime.tasks[0].store.checkpoint() == 100 + last + 1  # after its last record
    assert len(runtime.due_index) == 2


def test_a_fenced_partition_is_lost_alone_and_keeps_nothing_uncommitted(runtime):
    take_up(runtime, 0)
    Producer.fail = Fenced("another worker took it")
    asyncio.run(runtime.execute(Job(records=[record(detained("C1"))])))
    task = runtime.tasks[0]
    assert task.state == LOST and task.committed is None
    assert task.store.load("C1") == {} and len(runtime.due_index) == 0
    assert len(runtime.cache) == 0  # the case's uncommitted state is gone
    assert runtime.lost() == [0]
    Producer.fail = None
    task.retry_at = time.monotonic()  # no rebalance took it away: taken up again
    take_up(runtime)
    assert task.state == ACTIVE


def test_a_share_that_cannot_be_committed_stops_the_job_and_stores_nothing(runtime):
    take_up(runtime, 0)
    Producer.fail = OutputsFailed("broker away")
    with pytest.raises(OutputsFailed):
        asyncio.run(runtime.execute(Job(records=[record(detained("C1"))])))
    assert runtime.tasks[0].store.load("C1") == {} and len(runtime.due_index) == 0
    assert len(runtime.cache) == 0


def test_records_of_a_partition_not_active_are_left_alone(runtime):
    take_up(runtime, 0)
    asyncio.run(runtime.assign({0, 1}))  # 1 is restoring
    asyncio.run(runtime.execute(Job(records=[record(detained("C2"), 1)])))
    assert Producer.commits == [] and runtime.tasks[1].state == RESTORING


def test_a_partition_given_back_by_a_rebalance_keeps_its_cases_and_dues(runtime):
    take_up(runtime, 0, 1)
    asyncio.run(runtime.execute(Job(records=[record(detained("C1"), 0)])))
    runtime.revoke({0, 1})
    assert {t.state for t in runtime.tasks.values()} == {SUSPENDED}
    assert runtime.due_now(10) == []  # a suspended partition fires nothing
    take_up(runtime, 0)  # 1 went elsewhere
    assert set(runtime.tasks) == {0} and runtime.tasks[0].state == ACTIVE
    assert runtime.cache.get(0, "C1") is not None and len(runtime.due_index) == 1


def test_dues_fire_from_the_index_in_a_committed_job(runtime):
    take_up(runtime, 0)
    runtime.clock = FixedClock(NOW - timedelta(days=1, hours=3))
    asyncio.run(runtime.execute(Job(records=[record(detained("C1"))])))
    Producer.commits.clear()
    runtime.clock = FixedClock(NOW + timedelta(days=30))
    dues = runtime.due_now(10)
    assert dues and dues[0][1] == "C1"
    asyncio.run(runtime.execute(Job(dues=dues)))
    ((p, topics, offsets),) = Producer.commits
    assert offsets is None and "t.warnings" in topics and "t.case-state" in topics


def test_a_job_s_cases_over_the_cache_s_capacity_leave_when_it_ends(runtime):
    take_up(runtime, 0)
    runtime.cache.capacity = 3
    batch = [record(detained(f"C{c}"), 0, c) for c in range(5)]
    asyncio.run(runtime.execute(Job(records=batch)))
    assert len(runtime.cache) == 3
    assert [runtime.cache.get(0, f"C{c}") is not None for c in range(5)] == [False, False,
                                                                            True, True, True]


def test_a_long_job_hands_the_event_loop_back(runtime):
    """CPU time spent on the loop's thread between two wake-ups of a 1 ms ticker stays
    small however long the job is (CPU time, so a loaded machine cannot fail it), the
    collector's passes included: what the job leaves is frozen at every hand-back."""
    take_up(runtime, 0)
    persons = [f"P{i}" for i in range(5)]
    batch = [record(detained(f"C{c}", p), 0, c * 10 + i)
             for c in range(400) for i, p in enumerate(persons)]

    async def go() -> float:
        worst, stop = 0.0, False

        async def ticker():
            nonlocal worst
            last = time.thread_time()
            while not stop:
                await asyncio.sleep(0.001)
                now = time.thread_time()
                worst, last = max(worst, now - last), now

        tick = asyncio.ensure_future(ticker())
        await asyncio.sleep(0.01)  # the ticker is waiting when the job starts
        started = time.thread_time()
        await runtime.execute(Job(records=batch))
        total = time.thread_time() - started
        stop = True
        await tick
        return worst, total

    collector.settle()  # as taking up a partition does: what the process held is frozen
    frozen = gc.get_freeze_count()
    try:
        worst, total = asyncio.run(go())
        kept = gc.get_freeze_count() - frozen
    finally:
        gc.unfreeze()
    assert total > 0.2  # long enough that a job without hand-backs would show
    assert worst < 0.1
    assert kept > 400 * 20  # the job's cases, frozen as it went


def test_a_restarted_worker_takes_up_a_partition_s_rule_set_and_its_sweep(runtime, tmp_path):
    from rules.ruleset import read_ruleset_files
    from streams.rulesets import CONTROL_HEADER, RulesetMarker, ruleset_record
    from tests.support.rulesets import copy_rules, edit

    rules = copy_rules(tmp_path / "proposal")
    edit(rules / "catalogue" / "det_family_notice.toml", 'period = "24h"', 'period = "12h"')
    record = ruleset_record(*read_ruleset_files(rules), "op")
    runtime.book._take(record.model_dump_json().encode())
    runtime.book.refresh = _nothing  # no Kafka here: the book holds the record already
    take_up(runtime, 0)
    value = RulesetMarker(content_hash=record.content_hash).model_dump_json().encode()
    mark = SimpleNamespace(topic="t.case-events", partition=0, offset=3, key=None,
                           value=value, headers=[(CONTROL_HEADER, b"ruleset")])
    asyncio.run(runtime.execute(Job(records=[mark])))
    assert runtime.sweeping == {0}
    runtime.tasks[0].store.close()

    again = Runtime(runtime.settings, shared_engine(), FixedClock(NOW))  # a new process
    again.restorer = Restorer(again)
    again.book._take(record.model_dump_json().encode())
    try:
        take_up(again, 0)
        assert record.content_hash in again.processor.engine_of(0).catalogue.version
        assert again.sweeping == {0}
    finally:
        again.tasks[0].store.close()
        runtime.tasks.clear()


async def _nothing():
    return None
