"""streams.runtime: a job's changelog is acknowledged before its outputs, and only then
does it reach the local store, the due index and the offsets to commit."""

import asyncio
import json
from datetime import datetime
from types import SimpleNamespace

import pytest

from rules.clock import FixedClock
from streams.case_store import PartitionStore
from streams.runtime import Runtime
from streams.settings import Settings
from streams.work import Job
from tests.support.timeline import shared_engine

NOW = datetime.fromisoformat("2026-05-11T12:00:00+08:00")
DETAINED = {"event_id": "E1", "schema_version": 1, "event_type": "detained",
            "occurred_at": "2026-05-11T10:00:00+08:00", "case_id": "C1",
            "case_kind": "criminal", "person_id": "P1", "unit_id": "U1", "details": {}}


class Outputs:
    """Acknowledges in rounds, recording them; fails the round named in `fail`."""

    def __init__(self, fail: int | None = None):
        self.rounds: list[list[str]] = []
        self.fail = fail

    async def send_all(self, sends):
        self.rounds.append([s.topic for s in sends])
        if self.fail == len(self.rounds):
            raise RuntimeError("not acknowledged")
        return [(0, 100 + n) for n in range(len(sends))]


@pytest.fixture
def runtime(tmp_path):
    rt = Runtime(Settings(topic_prefix="t.", state_dir=tmp_path), shared_engine(),
                 FixedClock(NOW))
    rt.stores[0] = PartitionStore(tmp_path / "cases-0")
    yield rt
    rt.stores[0].close()


def job() -> Job:
    record = SimpleNamespace(topic="t.case-events", partition=0, offset=7, key=b"C1",
                             value=json.dumps(DETAINED).encode())
    return Job(records=[record])


def test_the_changelog_goes_first_then_the_outputs_then_the_store(runtime):
    runtime._outputs = outputs = Outputs()
    offsets = asyncio.run(runtime.execute(job()))
    changelog, rest = outputs.rounds
    assert set(changelog) == {"t.case-state"} and "t.case-state" not in rest
    assert "t.case-rows" in rest
    assert offsets == {("t.case-events", 0): 8}
    assert runtime.stores[0].checkpoint() == 100 + len(changelog)
    assert runtime.stores[0].load("C1")  # the case's items
    assert len(runtime.due_index) == 1


@pytest.mark.parametrize("fail", [1, 2], ids=["changelog", "outputs"])
def test_a_failed_round_leaves_store_index_and_offsets_untouched(runtime, fail):
    runtime._outputs = Outputs(fail=fail)
    with pytest.raises(RuntimeError):
        asyncio.run(runtime.execute(job()))
    assert runtime.stores[0].checkpoint() == 0
    assert runtime.stores[0].load("C1") == {}
    assert len(runtime.due_index) == 0
