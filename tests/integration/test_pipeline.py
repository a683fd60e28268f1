"""The worker on the real local Kafka and ClickHouse: warnings, timers, dead letters."""

import json
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from clickhouse_driver import Client
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient

from schemas.timefmt import format_cst
from streams.settings import Settings
from streams.topics import ensure_topics
from tests.support.collector import Collector
from tests.support.worker_process import WorkerProcess

CST = timezone(timedelta(hours=8))


class Pipeline:
    def __init__(self, stack, tmp_path):
        tag = uuid.uuid4().hex[:8]
        self.env = {
            "CASEWATCH_TOPIC_PREFIX": f"it{tag}.",
            "CASEWATCH_APP_ID": f"it{tag}",
            "CASEWATCH_STATE_DIR": str(tmp_path / "state"),
            "CASEWATCH_CLICKHOUSE_DATABASE": f"it_{tag}",
            "CASEWATCH_METRICS_PORT": "19464",
            "CASEWATCH_SINK_METRICS_PORT": "19465",
            "CASEWATCH_SINK_FLUSH_SECONDS": "0.5",
        }
        self.settings = Settings.from_env(self.env)
        ensure_topics(self.settings)
        self.stack = stack
        self.db = self.settings.clickhouse.database
        self.worker = WorkerProcess(self.env, tmp_path / "worker.log")
        self.producer = KafkaProducer(bootstrap_servers=stack.bootstrap)
        self.warnings = Collector(stack.bootstrap, self.settings.topic("warnings"))
        self.dead_letters = Collector(stack.bootstrap, self.settings.topic("case-events.dlq"))

    def publish(self, event: dict | bytes, key: str | None = None) -> float:
        value = event if isinstance(event, bytes) else json.dumps(event).encode()
        key = key if key is not None else (event["case_id"] if isinstance(event, dict) else "x")
        self.producer.send(self.settings.topic("case-events"), key=key.encode(), value=value)
        self.producer.flush()
        return time.time()

    def query(self, sql: str):
        return Client(self.stack.clickhouse_host, port=self.stack.clickhouse_port).execute(
            sql.format(db=self.db))

    def wait_rows(self, sql: str, expected, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            try:
                got = self.query(sql)
            except Exception:  # ClickHouse restarting, or tables not migrated yet
                got = None
            if got == expected:
                return got
            time.sleep(0.3)
        raise AssertionError(f"{sql}: expected {expected}, last saw {got}")

    def close(self):
        self.worker.stop()
        self.warnings.close()
        self.dead_letters.close()
        self.producer.close()
        try:
            self.query("DROP DATABASE IF EXISTS {db}")
        except Exception:
            pass
        admin = KafkaAdminClient(bootstrap_servers=self.stack.bootstrap)
        prefix = self.env["CASEWATCH_TOPIC_PREFIX"]
        app_id = self.env["CASEWATCH_APP_ID"]
        mine = [t for t in admin.list_topics() if t.startswith(prefix) or t.startswith(app_id)]
        admin.delete_topics(mine)
        admin.close()


@pytest.fixture
def pipeline(stack, tmp_path):
    p = Pipeline(stack, tmp_path)
    p.worker.start()
    yield p
    p.close()


def event(case_id: str, n: int, event_type: str, occurred_at: datetime, person="P1",
          **details) -> dict:
    return dict(event_id=f"{case_id}-{n}", schema_version=1, event_type=event_type,
                occurred_at=occurred_at.isoformat(), case_id=case_id, case_kind="criminal",
                person_id=person, unit_id="U3301", details=details)


def test_detention_without_notice_is_overdue_on_the_topic_and_in_clickhouse(pipeline):
    detained = event("CA", 1, "detained", datetime.now(CST) - timedelta(hours=25))
    sent = pipeline.publish(detained)
    arrived, warning = pipeline.warnings.wait_for(
        lambda w: w["case_id"] == "CA" and w["rule_id"] == "det_family_notice")
    assert (warning["level"], warning["status"]) == ("overdue", "open")
    assert warning["evidence"] == ["CA-1"]
    assert arrived - sent <= 2.0, f"warning took {arrived - sent:.2f} s"
    pipeline.wait_rows(
        "SELECT level, status FROM {db}.warning_history FINAL "
        f"WHERE warning_id = '{warning['warning_id']}'",
        [("overdue", "open")])


def test_a_deadline_fires_within_a_second_while_the_topic_is_quiet(pipeline):
    due = datetime.now(CST) + timedelta(seconds=6)
    pipeline.publish(event("CB", 1, "summons_started", due - timedelta(hours=12),
                           kind="summons"))
    _, approaching = pipeline.warnings.wait_for(
        lambda w: w["case_id"] == "CB" and w["level"] == "approaching")
    assert approaching["due_at"] == format_cst(due)
    arrived, overdue = pipeline.warnings.wait_for(
        lambda w: w["case_id"] == "CB" and w["level"] == "overdue", timeout=30)
    assert overdue["warning_id"] == approaching["warning_id"]
    delay = arrived - due.timestamp()
    assert 0 <= delay <= 1.0, f"fired {delay:.3f} s after its due"


def test_malformed_inputs_go_to_the_dead_letter_topic_and_the_rest_flows(pipeline):
    t = datetime.now(CST) - timedelta(hours=30)
    first = event("CC", 1, "detained", t)
    conflicting = {**first, "unit_id": "U9999"}
    no_offset = {**event("CC", 2, "interrogated", t), "occurred_at": "2026-05-01T10:00:00"}
    unknown = {**event("CC", 3, "interrogated", t), "event_type": "teleported"}
    too_big = {**event("CC", 4, "interrogated", t), "details": {"pad": "x" * 70_000}}
    pipeline.publish(first)
    for bad in (b"{not json", no_offset, unknown, too_big, conflicting):
        pipeline.publish(bad, key="CC")
    pipeline.publish(event("CC", 5, "detained", t, person="P2"))

    expected_reasons = ["Invalid JSON", "timezone", "unknown event type", "65536 byte limit",
                        "different body"]
    for needle in expected_reasons:
        _, record = pipeline.dead_letters.wait_for(
            lambda r, needle=needle: any(needle in reason for reason in r["reasons"]))
        assert record["topic"] == pipeline.settings.topic("case-events")
        assert isinstance(record["offset"], int) and record["value_base64"]
    assert len(pipeline.dead_letters.records) == len(expected_reasons)
    for person in ("P1", "P2"):
        pipeline.warnings.wait_for(lambda w, person=person: w["case_id"] == "CC"
                                   and w["person_id"] == person
                                   and w["rule_id"] == "det_family_notice")
    pipeline.wait_rows("SELECT count() FROM {db}.events FINAL WHERE case_id = 'CC'", [(2,)])


def test_prometheus_scrapes_the_worker_metrics(pipeline, tmp_path):
    pipeline.publish(event("CM", 1, "detained", datetime.now(CST) - timedelta(hours=25)))
    pipeline.publish(b"not json", key="CM")
    pipeline.warnings.wait_for(lambda w: w["case_id"] == "CM")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: casewatch\n"
        "    static_configs: [{targets: ['127.0.0.1:19464', '127.0.0.1:19465']}]\n")
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         "--web.listen-address=127.0.0.1:19090"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wanted = {
            'casewatch_events_in_total{result="valid"}': 1,
            'casewatch_events_in_total{result="invalid"}': 1,
            'casewatch_warnings_total{rule="det_family_notice",level="overdue"}': 1,
            "casewatch_due_index_size": 1,
            "casewatch_oldest_due_delay_seconds": 0,
            "casewatch_sink_batch_seconds_count": 1,
            "casewatch_sink_failures_total": 0,
            "casewatch_consumer_lag_messages": 0,
        }
        deadline = time.monotonic() + 60
        missing = dict(wanted)
        while missing and time.monotonic() < deadline:
            for query, at_least in list(missing.items()):
                url = "http://127.0.0.1:19090/api/v1/query?" + urllib.parse.urlencode(
                    {"query": f"sum({query})"})
                try:
                    with urllib.request.urlopen(url, timeout=2) as resp:
                        result = json.load(resp)["data"]["result"]
                except OSError:
                    break
                if result and float(result[0]["value"][1]) >= at_least:
                    del missing[query]
            time.sleep(1)
        assert not missing, f"not scraped: {sorted(missing)}"
    finally:
        prometheus.terminate()
        prometheus.wait(30)


def test_a_deadline_due_while_the_worker_is_down_fires_on_restart(pipeline):
    due = datetime.now(CST) + timedelta(seconds=8)
    pipeline.publish(event("CR", 1, "summons_started", due - timedelta(hours=12),
                           kind="summons"))
    pipeline.warnings.wait_for(lambda w: w["case_id"] == "CR" and w["level"] == "approaching")
    pipeline.worker.stop()
    time.sleep(max(0.0, due.timestamp() - time.time()) + 3)
    assert not [w for w in pipeline.warnings.json()
                if w["case_id"] == "CR" and w["level"] == "overdue"]
    pipeline.worker.start()
    restarted = time.time()
    arrived, overdue = pipeline.warnings.wait_for(
        lambda w: w["case_id"] == "CR" and w["level"] == "overdue", timeout=30)
    assert overdue["due_at"] == format_cst(due)
    assert arrived - restarted <= 2.0, f"fired {arrived - restarted:.2f} s after restart"


def test_every_compression_codec_is_read(pipeline):
    """Integrators' producers compress: gzip, snappy, lz4 and zstd batches are all read (a
    real producer each), and the events behind them raise their warnings."""
    import asyncio

    from aiokafka import AIOKafkaProducer

    codecs = ("gzip", "snappy", "lz4", "zstd")
    detained_at = datetime.now(CST) - timedelta(hours=25)

    async def produce():
        for codec in codecs:
            producer = AIOKafkaProducer(bootstrap_servers=pipeline.stack.bootstrap,
                                        compression_type=codec, linger_ms=50)
            await producer.start()
            try:
                for n in range(5):  # one compressed batch of five events
                    e = event(f"Z-{codec}-{n}", 1, "detained", detained_at)
                    await producer.send(pipeline.settings.topic("case-events"),
                                        json.dumps(e).encode(), key=e["case_id"].encode())
                await producer.flush()
            finally:
                await producer.stop()

    asyncio.run(produce())
    for codec in codecs:
        for n in range(5):
            pipeline.warnings.wait_for(lambda w, c=f"Z-{codec}-{n}": (
                w["case_id"] == c and w["rule_id"] == "det_family_notice"
                and w["level"] == "overdue"), timeout=60)
    assert pipeline.worker.proc.poll() is None  # still running
    assert pipeline.dead_letters.json() == []


def test_a_worker_without_its_local_store_rebuilds_it_from_the_changelog(pipeline):
    """A new machine: the worker's state directory is gone. It rebuilds each case from the
    `case-state` changelog, so a later event meets its case's history (the notice resolves
    the warning published before) and the deadline still due fires."""
    import shutil

    detained_at = datetime.now(CST) - timedelta(hours=25)
    pipeline.publish(event("RB", 1, "detained", detained_at))
    first = pipeline.warnings.wait_for(lambda w: w["case_id"] == "RB"
                                       and w["rule_id"] == "det_family_notice")[1]
    assert (first["level"], first["status"]) == ("overdue", "open")
    pipeline.worker.stop()
    shutil.rmtree(pipeline.env["CASEWATCH_STATE_DIR"])
    pipeline.worker.start()
    pipeline.publish(event("RB", 2, "family_notified", detained_at + timedelta(hours=25),
                           measure="detention"))
    resolved = pipeline.warnings.wait_for(lambda w: w["case_id"] == "RB"
                                          and w["rule_id"] == "det_family_notice"
                                          and w["status"] == "resolved")[1]
    assert resolved["warning_id"] == first["warning_id"] and resolved["late"] is True
    assert pipeline.dead_letters.json() == []
