"""Kafka with SCRAM users, TLS and ACLs (`deploy/stack start kafka-secure`).

The integrator principal publishes with `casewatch publish`; the worker, as the casewatch
principal over SASL_SSL, creates its topics, processes the event and publishes a warning,
which its sink writes to ClickHouse and the console shows. A wrong password and the
integrator's attempts to read or write the warnings are refused with the product's words.
"""

import asyncio
import json
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import TopicAuthorizationFailedError
from clickhouse_driver import Client
from kafka import KafkaConsumer

from streams.kafka_auth import aiokafka_kwargs, kafka_python_kwargs
from streams.settings import Settings
from streams.topics import ensure_topics
from tests.support.kafka_secure import SASL_PLAINTEXT, SASL_SSL, Secure, client_env
from tests.support.worker_process import WorkerProcess

CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def secure(stack):
    s = Secure(stack)
    assert ensure_topics(s.settings)  # the worker principal may create its topics
    yield s
    s.close()


def detained_event(case_id: str) -> dict:
    occurred = datetime.now(CST) - timedelta(hours=25)
    return dict(event_id=f"{case_id}-1", schema_version=1, event_type="detained",
                occurred_at=occurred.isoformat(), case_id=case_id, case_kind="criminal",
                person_id="P1", unit_id="U3301")


def test_integrator_publishes_and_the_worker_warns_with_its_own_credentials(secure, tmp_path):
    db = f"{secure.base['CASEWATCH_APP_ID']}_db"
    worker = WorkerProcess({**secure.worker_env, "CASEWATCH_STATE_DIR": str(tmp_path / "state"),
                            "CASEWATCH_CLICKHOUSE_DATABASE": db,
                            "CASEWATCH_METRICS_PORT": "18401",
                            "CASEWATCH_SINK_FLUSH_SECONDS": "0.5"}, tmp_path / "worker.log")
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(detained_event("CS1")) + "\n", encoding="utf-8")
    reader = KafkaConsumer(secure.topic("warnings"), bootstrap_servers=SASL_PLAINTEXT,
                           auto_offset_reset="earliest", group_id=None,
                           isolation_level="read_committed",
                           **kafka_python_kwargs(Settings.from_env(client_env("casewatch"))))
    worker.start()
    try:
        # the integrator over SASL_PLAINTEXT with the other SCRAM mechanism
        published = secure.casewatch("publish", str(events),
                                     env=client_env("integrator", mechanism="SCRAM-SHA-256"))
        assert published.returncode == 0, published.stderr
        assert f"published 1 events to {secure.topic('case-events')}" in published.stderr

        deadline, warnings = time.monotonic() + 60, []
        while time.monotonic() < deadline and not any(
                w["rule_id"] == "det_family_notice" for w in warnings):
            for records in reader.poll(timeout_ms=500).values():
                warnings += [json.loads(r.value) for r in records]
        family = [w for w in warnings if w["rule_id"] == "det_family_notice"]
        assert [(w["case_id"], w["level"]) for w in family] == [("CS1", "overdue")]

        ch = Client("127.0.0.1", port=9000)
        deadline, rows = time.monotonic() + 60, None
        while time.monotonic() < deadline and not rows:
            try:  # the sink (aiokafka, worker principal) writes the warning
                rows = ch.execute(f"SELECT level FROM {db}.warning_history FINAL "
                                  f"WHERE warning_id = '{family[0]['warning_id']}'")
            except Exception:  # database not migrated yet
                time.sleep(0.3)
        assert rows == [("overdue",)]

        shown = secure.casewatch("console", "--once", env=client_env("casewatch"))
        assert shown.returncode == 0, shown.stderr
        assert family[0]["warning_id"][:8] in shown.stdout
    finally:
        worker.stop()
        reader.close()
        Client("127.0.0.1", port=9000).execute(f"DROP DATABASE IF EXISTS {db}")


def test_a_wrong_password_is_refused_in_plain_words(secure, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(detained_event("CS2")) + "\n", encoding="utf-8")
    wrong = "not-the-Password-42"
    proc = secure.casewatch("publish", str(events), env=client_env("integrator", wrong))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"casewatch publish: cannot publish to {secure.topic('case-events')}: "
        f"认证失败 authentication failed: Kafka at {SASL_PLAINTEXT} refused user 'integrator' "
        "(SCRAM-SHA-512); check CASEWATCH_KAFKA_USERNAME, CASEWATCH_KAFKA_PASSWORD and "
        "CASEWATCH_KAFKA_SASL_MECHANISM")
    assert wrong not in proc.stdout + proc.stderr


def test_the_integrator_cannot_read_or_write_the_warnings(secure, tmp_path):
    integrator = client_env("integrator")
    shown = secure.casewatch("console", "--once", env=integrator)
    assert shown.returncode == 2
    assert shown.stderr.strip() == (
        "casewatch console: 无权访问 not authorized: Kafka does not let user 'integrator' "
        f"(SCRAM-SHA-512) read topic {secure.topic('warnings')} (nor say whether it exists)")

    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(detained_event("CS3")) + "\n", encoding="utf-8")
    forged = secure.casewatch("publish", str(events), "--topic", secure.topic("warnings"),
                              env=integrator)
    assert forged.returncode == 2
    assert "无权访问 not authorized: Kafka does not let user 'integrator' (SCRAM-SHA-512) " \
           f"write topic {secure.topic('warnings')}" in forged.stderr

    async def read_as_integrator():
        consumer = AIOKafkaConsumer(secure.topic("warnings"), bootstrap_servers=SASL_SSL,
                                    **aiokafka_kwargs(Settings.from_env(
                                        client_env("integrator", tls=True))))
        try:
            await consumer.start()
        finally:
            await consumer.stop()

    with pytest.raises(TopicAuthorizationFailedError, match=secure.topic("warnings")):
        asyncio.run(read_as_integrator())


def test_an_untrusted_broker_certificate_is_refused(secure, tmp_path):
    other_ca = tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=another CA", "-keyout", str(tmp_path / "other-ca.key"),
                    "-out", str(other_ca)], check=True, capture_output=True)
    env = {**client_env("integrator", tls=True), "CASEWATCH_KAFKA_SSL_CAFILE": str(other_ca)}
    proc = secure.casewatch("console", "--once", env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"casewatch console: TLS 握手失败 TLS handshake with {SASL_SSL} "
                                  "failed (")
    assert "CERTIFICATE_VERIFY_FAILED" in proc.stderr
