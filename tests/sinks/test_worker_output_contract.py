"""The worker's outputs are what the sink reads: every message decodes into rows."""

import json
from datetime import datetime
from types import SimpleNamespace

from schemas.case_rows import CaseRows
from sinks.clickhouse.rows import EVENTS, MEASURE_STATE, WARNING_HISTORY
from sinks.decode import DECODERS
from streams.case_cache import CaseCache
from streams.case_store import PartitionStore
from streams.settings import Settings
from streams.work import Processor, Result
from tests.support.timeline import shared_engine

DETAINED = {"event_id": "E1", "schema_version": 1, "event_type": "detained",
            "occurred_at": "2026-05-11T10:00:00+08:00", "case_id": "C1",
            "case_kind": "criminal", "person_id": "P1", "unit_id": "U1", "details": {}}


def test_every_message_the_worker_sends_to_a_sink_topic_decodes(tmp_path):
    settings = Settings(topic_prefix="t.", state_dir=tmp_path)
    store = PartitionStore(tmp_path / "cases-0")
    try:
        processor = Processor(settings, shared_engine(), CaseCache(10, 60.0), {0: store})
        record = SimpleNamespace(topic="t.case-events", partition=0, offset=7, key=b"C1",
                                 value=json.dumps(DETAINED).encode())
        result = Result(0)
        for _ in processor.records(0, [record], datetime.fromisoformat(
                "2026-05-12T12:00:00+08:00"), result):
            pass
    finally:
        store.close()
    tables = []
    for send in result.sends:
        name = send.topic.removeprefix("t.")
        if name in DECODERS:
            tables += [table for table, _ in DECODERS[name](send.value)]
        if name == "case-rows":
            CaseRows.model_validate_json(send.value)
    assert sorted(set(tables)) == sorted({EVENTS, WARNING_HISTORY, MEASURE_STATE})
    assert tables.count(EVENTS) == 1
