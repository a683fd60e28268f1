"""`casewatch sink` on the real Kafka and ClickHouse 18.16: exactly-once rows after FINAL.

Input goes straight onto the sink's topics (no worker). Each test has its own topic
prefix, consumer group and database. Counts are checked after OPTIMIZE ... FINAL: every
table holds exactly one row per distinct key, and the group's committed offsets equal the
end offsets. CASEWATCH_TEST_CLICKHOUSE_OUTAGE sets the outage length (default 60 s).
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clickhouse_driver import Client
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from schemas.case_rows import CaseRows, EventRow, MeasureStateRow
from schemas.measure_state import MeasureState
from schemas.timefmt import CST
from schemas.warning import LegalBasis, Warning
from sinks.decode import DECODERS
from streams.settings import Settings
from streams.sink_process import SinkProcess
from streams.topics import ensure_topics
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
INPUTS = tuple(DECODERS)  # every topic the sink reads
KEYS = {  # table -> its ReplacingMergeTree key
    "events": "(case_id, event_id)",
    "warning_history": "(warning_id, changed_at, level, status)",
    "measure_state": "(case_id, person_id, measure)",
}
OUTAGE = float(os.environ.get("CASEWATCH_TEST_CLICKHOUSE_OUTAGE", "60"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CST)


def warning(i: int) -> bytes:
    return Warning(
        warning_id=f"W{i}", rule_id="R1", rule_kind="statutory", level="approaching",
        status="open", late=None, case_id=f"C{i % 97}", person_id="P1", unit_id="U1",
        due_at=T0 + timedelta(hours=12), resolved_at=None, changed_at=T0, evidence=[f"e{i}"],
        basis=[LegalBasis(ref="CPL 119", text_zh="传唤持续的时间不得超过十二小时")],
        message_zh="传唤即将超时", message_en="summons about to exceed 12 hours",
    ).model_dump_json().encode()


def case_rows(i: int) -> bytes:
    event = json.dumps({
        "event_id": f"e{i}", "schema_version": 1, "event_type": "admin_case_accepted",
        "occurred_at": T0.isoformat(), "case_id": f"C{i}", "case_kind": "administrative",
        "unit_id": "U1", "details": {},
    }, ensure_ascii=False)
    state = MeasureState(case_id=f"C{i}", person_id="P1", unit_id="U1", measure="bail",
                         active=True, since=T0, until=None, due_at=None, evidence=[f"e{i}"])
    return CaseRows(rows=[
        EventRow(event=event, partition=i % 4, offset=i, received_at=datetime.now(UTC)),
        MeasureStateRow(state=state, version=i),
    ]).model_dump_json().encode()


class SinkRig:
    """Topics, database, producer and `casewatch sink` processes of one test."""

    def __init__(self, stack, tmp_path: Path, **env):
        tag = uuid.uuid4().hex[:8]
        self.env = {
            **os.environ,
            "CASEWATCH_TOPIC_PREFIX": f"sk{tag}.",
            "CASEWATCH_APP_ID": f"sk{tag}",
            "CASEWATCH_CLICKHOUSE_DATABASE": f"sk_{tag}",
            "CASEWATCH_SINK_FLUSH_SECONDS": "0.3",
            "CASEWATCH_SINK_BATCH_ROWS": "500",
            **env,
        }
        self.settings = Settings.from_env(self.env)
        ensure_topics(self.settings)
        self.stack = stack
        self.tmp_path = tmp_path
        self.db = self.settings.clickhouse.database
        self.group = f"{self.settings.app_id}-sink"
        self.producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", linger_ms=5)
        self.sinks: list[tuple[subprocess.Popen, int]] = []

    def start_sink(self) -> subprocess.Popen:
        port = free_port()
        log = (self.tmp_path / f"sink-{len(self.sinks)}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "sink"], cwd=REPO, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**self.env, "CASEWATCH_SINK_METRICS_PORT": str(port)},
        )
        self.sinks.append((proc, port))
        return proc

    def send(self, name: str, values, key=b"k") -> None:
        for value in values:
            self.producer.send(self.settings.topic(name), key=key, value=value)
        self.producer.flush()

    def send_inputs(self, numbers) -> None:
        for i in numbers:
            key = f"C{i}".encode()
            self.producer.send(self.settings.topic("warnings"), key=key, value=warning(i))
            self.producer.send(self.settings.topic("case-rows"), key=key, value=case_rows(i))
        self.producer.flush()

    def query(self, sql: str):
        client = Client(self.stack.clickhouse_host, port=self.stack.clickhouse_port)
        try:
            return client.execute(sql.format(db=self.db))
        finally:
            client.disconnect()

    def offsets(self) -> tuple[dict, dict]:
        """(committed, end) offsets of the sink's group on its input topics."""
        consumer = KafkaConsumer(bootstrap_servers=self.stack.bootstrap)
        admin = KafkaAdminClient(bootstrap_servers=self.stack.bootstrap)
        try:
            tps = [TopicPartition(self.settings.topic(name), p) for name in INPUTS
                   for p in range(self.settings.partitions)]
            end = consumer.end_offsets(tps)
            committed = {tp: 0 for tp in end}  # nothing committed: from the start
            committed.update((tp, meta.offset) for tp, meta in
                             admin.list_group_offsets(self.group)[self.group].items() if tp in end)
            return committed, end
        finally:
            consumer.close()
            admin.close()

    def wait_committed(self, timeout: float = 90.0) -> dict:
        """Wait until the group has committed every end offset; return the end offsets."""
        deadline = time.monotonic() + timeout
        while True:
            committed, end = self.offsets()
            if committed == end:
                return end
            assert time.monotonic() < deadline, f"committed {committed} != end {end}"
            time.sleep(0.5)

    def assert_exactly_once(self, expected: dict[str, int]) -> None:
        """After OPTIMIZE FINAL: one row per distinct key, and the keys expected."""
        for table, key in KEYS.items():
            self.query(f"OPTIMIZE TABLE {{db}}.{table} FINAL")
            [(rows, keys)] = self.query(f"SELECT count(), uniqExact({key}) FROM {{db}}.{table}")
            assert (table, rows, keys) == (table, expected[table], expected[table])

    def metric(self, port: int, name: str) -> dict[str, float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            lines = resp.read().decode().splitlines()
        return {line[len(name):].rpartition(" ")[0]: float(line.rpartition(" ")[2])
                for line in lines if line.startswith(name + "{")}

    def close(self) -> None:
        for proc, _ in self.sinks:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self.producer.close()
        try:
            self.query("DROP DATABASE IF EXISTS {db}")
        except Exception:  # ClickHouse away: leave the database behind
            pass
        admin = KafkaAdminClient(bootstrap_servers=self.stack.bootstrap)
        prefix = self.settings.topic_prefix
        admin.delete_topics([t for t in admin.list_topics() if t.startswith(prefix)])
        admin.close()


@pytest.fixture
def rig(stack, tmp_path):
    r = SinkRig(stack, tmp_path)
    yield r
    r.close()


def expected(n: int) -> dict[str, int]:
    return {"events": n, "warning_history": n, "measure_state": n}


def test_warnings_and_case_rows_are_written_once_each_and_committed(rig):
    sink = rig.start_sink()
    rig.send_inputs(range(300))
    rig.send_inputs(range(100))  # redelivered copies: same keys
    rig.wait_committed()
    rig.assert_exactly_once(expected(300))
    assert sink.poll() is None
    # the lag metric covers every input partition and drains to 0
    _, port = rig.sinks[0]
    deadline = time.monotonic() + 20
    while len(lag := rig.metric(port, "casewatch_sink_lag_messages")) < len(
            INPUTS) * rig.settings.partitions or any(lag.values()):
        assert time.monotonic() < deadline, lag
        time.sleep(0.5)
    assert len(lag) == len(INPUTS) * rig.settings.partitions
    assert rig.metric(port, "casewatch_sink_rows_total") == {
        '{table="events"}': 400.0, '{table="measure_state"}': 400.0,
        '{table="warning_history"}': 400.0}


def test_the_supervised_sink_writes_and_stops_cleanly_on_sigterm(rig):
    async def scenario():
        sink = SinkProcess(env={**rig.env, "CASEWATCH_SINK_METRICS_PORT": str(free_port())})
        sink.start()
        await asyncio.to_thread(rig.send_inputs, range(50))
        await asyncio.to_thread(rig.wait_committed)
        await sink.stop()
        return sink

    sink = asyncio.run(scenario())
    assert (sink.starts, sink.process.returncode) == (1, 0)
    rig.assert_exactly_once(expected(50))


def test_unreadable_records_are_dead_lettered_and_the_rest_written(rig):
    rig.start_sink()
    too_late = json.loads(warning(0))
    too_late["changed_at"] = "2200-01-01T00:00:00+08:00"  # valid, but no DateTime holds it
    bad = [("warnings", b'{"warning_id": "W1"'), ("warnings", json.dumps(too_late).encode()),
           ("case-rows", b'{"rows": [{"table": "nope"}]}')]
    rig.send_inputs(range(0, 20))
    for name, value in bad:
        rig.send(name, [value])
    rig.send_inputs(range(20, 40))
    rig.wait_committed()
    rig.assert_exactly_once(expected(40))
    consumer = KafkaConsumer(rig.settings.topic("case-events.dlq"),
                             bootstrap_servers=rig.stack.bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000,
                             isolation_level="read_committed")
    letters = [json.loads(m.value) for m in consumer]
    consumer.close()
    # the case-rows record's one row is dead-lettered as itself
    assert sorted((d["topic"], d["value_text"], d["reasons"][0][:27]) for d in letters) == \
        sorted([(rig.settings.topic("warnings"), bad[0][1].decode(), "sink cannot read the record"),
                (rig.settings.topic("warnings"), bad[1][1].decode(), "sink cannot read the record"),
                (rig.settings.topic("case-rows"), '{"table": "nope"}',
                 "sink cannot write row 1 of ")])


def test_rows_clickhouse_cannot_hold_are_dead_lettered_alone_and_the_rest_written(rig):
    """One case-rows record mixing good rows with a pre-1970 and a post-2106 value, and an
    event body the contract now refuses: only those rows are dead-lettered."""
    rows = json.loads(case_rows(100))["rows"]  # C100's event and measure, both good
    more = json.loads(case_rows(101))["rows"]  # C101's
    before_1970 = {**more[1], "state": {**more[1]["state"], "since": "1969-07-20T20:17:40Z"}}
    after_2106 = {**more[1], "state": {**more[1]["state"], "case_id": "C102",
                                       "until": "2106-02-08T00:00:00+08:00"}}
    body = {**json.loads(more[0]["event"]), "event_id": "e-1900", "case_id": "C103",
            "occurred_at": "1900-01-01T00:00:00+08:00"}
    event_1900 = {**more[0], "event": json.dumps(body)}
    bad = [before_1970, after_2106, event_1900]
    mixed = {"rows": [before_1970, rows[0], after_2106, event_1900, more[0], rows[1]]}
    rig.start_sink()
    rig.send_inputs(range(20))
    rig.send("case-rows", [json.dumps(mixed).encode()], key=b"C100")
    rig.send_inputs(range(20, 40))
    rig.wait_committed()

    # every good row of the record is written: C100's event and measure, C101's event
    assert rig.query("SELECT event_id FROM {db}.events FINAL WHERE case_id IN "
                     "('C100', 'C101', 'C102', 'C103') ORDER BY event_id") == [("e100",), ("e101",)]
    assert rig.query("SELECT case_id FROM {db}.measure_state FINAL "
                     "WHERE case_id IN ('C100', 'C101', 'C102')") == [("C100",)]
    rig.assert_exactly_once({"events": 42, "warning_history": 40, "measure_state": 41})
    consumer = KafkaConsumer(rig.settings.topic("case-events.dlq"),
                             bootstrap_servers=rig.stack.bootstrap, group_id=None,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000)
    letters = [json.loads(m.value) for m in consumer]
    consumer.close()
    assert [json.loads(d["value_text"]) for d in letters] == bad
    assert {(d["topic"], d["key"]) for d in letters} == {(rig.settings.topic("case-rows"),
                                                          "C100")}
    assert [d["reasons"][0].split(":")[0] for d in letters] == [
        "sink cannot write row 1 of 6 (measure_state)", "sink cannot write row 3 of 6 "
        "(measure_state)", "sink cannot write row 4 of 6 (events)"]
    assert "since 1969-07-20T20:17:40+00:00 is outside ClickHouse's DateTime range" \
        in letters[0]["reasons"][0]
    assert "until 2106-02-08T00:00:00+08:00 is outside" in letters[1]["reasons"][0]
    assert "is before 1990-01-01T00:00:00+08:00" in letters[2]["reasons"][0]
    _, port = rig.sinks[0]
    assert rig.metric(port, "casewatch_sink_dead_letters_total") == {
        f'{{topic="{rig.settings.topic("case-rows")}"}}': 3.0}


def test_a_sink_killed_mid_batch_and_restarted_writes_every_row_once(rig):
    rig.send_inputs(range(3000))
    first = rig.start_sink()
    deadline = time.monotonic() + 60
    while True:  # kill it once some rows are written but not all committed
        try:
            written = rig.query("SELECT count() FROM {db}.warning_history")[0][0]
        except Exception:  # database not migrated yet
            written = 0
        if written:
            break
        assert time.monotonic() < deadline, "nothing written"
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    committed, end = rig.offsets()
    assert committed != end, "the sink finished before it was killed; nothing tested"
    rig.start_sink()
    rig.wait_committed()
    rig.assert_exactly_once(expected(3000))


def test_clickhouse_outage_with_a_rebalance_while_held_loses_nothing(rig):
    sinks = [rig.start_sink(), rig.start_sink()]
    rig.send_inputs(range(0, 500))
    rig.wait_committed()
    sending = threading.Thread(target=rig.send_inputs, args=(range(500, 1500),))
    rig.stack.stop("clickhouse")
    try:
        sending.start()
        time.sleep(OUTAGE / 3)
        sinks.append(rig.start_sink())  # joins while the others hold: rebalance while paused
        sending.join()
        time.sleep(OUTAGE * 2 / 3)
        committed, end = rig.offsets()
        if not rig.stack.is_healthy("clickhouse"):  # a parallel test session may start it
            assert committed != end, "offsets committed while ClickHouse was down"
    finally:
        rig.stack.start("clickhouse")
    rig.send_inputs(range(1500, 2000))
    rig.wait_committed(timeout=120)
    rig.assert_exactly_once(expected(2000))
    assert [p.poll() for p in sinks] == [None, None, None]
