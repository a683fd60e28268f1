"""Every common client gets in to the secure broker (`deploy/stack start kafka-secure`).

librdkafka before 2.6.1 (Debian 12's kcat: librdkafka 2.0.2) builds a SCRAM proof that
Kafka 4.x rejects as "invalid credentials" (librdkafka#4895), while kafka-python logs in
with the same password. Such clients come in over mutual TLS instead: a client certificate
of the stack's CA with subject CN=integrator,OU=clients,O=casewatch is principal
User:integrator, with the integrator's ACLs (write `<prefix>case-events`, nothing else).
kcat without a certificate, with one of another CA, or with a certificate of another name
gets nothing.
"""

import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from schemas.timefmt import CST
from streams.kafka_auth import kafka_python_kwargs
from streams.settings import Settings
from streams.topics import ensure_topics
from tests.support.kafka_secure import (
    CA_FILE,
    MTLS,
    PASSWORDS,
    SASL_PLAINTEXT,
    Secure,
    client_certificate,
    client_env,
)

FIXED_SCRAM = (2, 6, 1)  # the first librdkafka whose SCRAM proof Kafka 4.x accepts


@pytest.fixture(scope="module")
def kcat() -> str:
    path = shutil.which("kcat")
    assert path, "kcat is missing: run deploy/os-deps (Debian package kcat)"
    return path


@pytest.fixture(scope="module")
def librdkafka(kcat) -> tuple[int, ...]:
    shown = subprocess.run([kcat, "-V"], capture_output=True, text=True, check=True).stdout
    return tuple(int(n) for n in re.search(r"librdkafka (\d+)\.(\d+)\.(\d+)", shown).groups())


@pytest.fixture(scope="module")
def secure(stack):
    s = Secure(stack)
    assert ensure_topics(s.settings)
    yield s
    s.close()


def event(case_id: str, n: int = 1) -> dict:
    return dict(event_id=f"{case_id}-{n}", schema_version=1, event_type="detained",
                occurred_at=(datetime.now(CST) - timedelta(hours=2)).isoformat(),
                case_id=case_id, case_kind="criminal", person_id="P1", unit_id="U3301")


def run_kcat(kcat: str, tmp_path: Path, *args: str, lines: list[str] = (),
             auth: list[str]) -> subprocess.CompletedProcess[str]:
    """kcat with `auth` (-X settings); `lines` go to a producer, one message each."""
    messages = tmp_path / "messages.txt"
    messages.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return subprocess.run([kcat, *auth, "-X", "message.timeout.ms=8000", *args,
                           *([str(messages)] if lines else [])],
                          capture_output=True, text=True, timeout=60)


def mtls(cert: Path | None = None, key: Path | None = None,
         ca: Path = CA_FILE) -> list[str]:
    auth = ["-b", MTLS, "-X", "security.protocol=SSL", "-X", f"ssl.ca.location={ca}"]
    if cert is not None:
        auth += ["-X", f"ssl.certificate.location={cert}", "-X", f"ssl.key.location={key}"]
    return auth


def publish(kcat, tmp_path, topic: str, events: list[dict], auth: list[str]):
    lines = [f"{e['case_id']}\t{json.dumps(e)}" for e in events]
    return run_kcat(kcat, tmp_path, "-P", "-l", "-t", topic, "-K", "\t", lines=lines, auth=auth)


def on_topic(topic: str) -> list[tuple[str, dict]]:
    """(key, value) of every record of `topic`, read as the admin."""
    consumer = KafkaConsumer(topic, bootstrap_servers=SASL_PLAINTEXT, group_id=None,
                             auto_offset_reset="earliest", consumer_timeout_ms=4000,
                             **kafka_python_kwargs(Settings.from_env(client_env("admin"))))
    try:
        return [(r.key.decode(), json.loads(r.value)) for r in consumer]
    finally:
        consumer.close()


def other_ca_client(tmp_path: Path) -> tuple[Path, Path]:
    """(certificate, key) of a CA the broker does not know, for the integrator's subject."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
            "/CN=another CA", "-keyout", "other-ca.key", "-out", "other-ca.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj",
            "/O=casewatch/OU=clients/CN=integrator", "-keyout", "forged.key", "-out",
            "forged.csr")
    openssl("x509", "-req", "-in", "forged.csr", "-CA", "other-ca.pem", "-CAkey",
            "other-ca.key", "-CAcreateserial", "-days", "1", "-out", "forged.pem")
    return tmp_path / "forged.pem", tmp_path / "forged.key"


def test_librdkafka_before_2_6_1_is_refused_by_scram_that_kafka_python_passes(
        secure, kcat, librdkafka, tmp_path):
    topic = secure.topic("case-events")
    scram = ["-b", SASL_PLAINTEXT, "-X", "security.protocol=SASL_PLAINTEXT",
             "-X", "sasl.mechanism=SCRAM-SHA-512", "-X", "sasl.username=integrator",
             "-X", f"sasl.password={PASSWORDS['integrator']}"]
    by_kcat = publish(kcat, tmp_path, topic, [event("KS1")], scram)
    # the right password, and the same principal, with kafka-python
    producer = KafkaProducer(bootstrap_servers=SASL_PLAINTEXT, acks="all",
                             **kafka_python_kwargs(Settings.from_env(client_env("integrator"))))
    producer.send(topic, key=b"KS2", value=json.dumps(event("KS2")).encode()).get(30)
    producer.close()

    if librdkafka < FIXED_SCRAM:  # Debian 12: librdkafka 2.0.2
        assert by_kcat.returncode != 0
        assert ("Authentication failed during authentication due to invalid credentials with "
                "SASL mechanism SCRAM-SHA-512") in by_kcat.stderr
        assert [key for key, _ in on_topic(topic)] == ["KS2"]
    else:  # a fixed librdkafka gets in with SCRAM too
        assert by_kcat.returncode == 0, by_kcat.stderr
        assert sorted(key for key, _ in on_topic(topic)) == ["KS1", "KS2"]


def test_kcat_publishes_as_the_integrator_over_mutual_tls(secure, kcat, tmp_path):
    topic = secure.topic("case-events")
    events = [event("KM1"), event("KM2"), event("KM1", 2)]
    sent = publish(kcat, tmp_path, topic, events, mtls(*client_certificate("integrator")))
    assert sent.returncode == 0, sent.stderr
    # keyed by case_id, as events.md asks, byte for byte
    by_id = lambda kv: kv[1]["event_id"]  # noqa: E731
    arrived = [(key, value) for key, value in on_topic(topic) if key.startswith("KM")]
    assert sorted(arrived, key=by_id) == sorted(((e["case_id"], e) for e in events), key=by_id)


def test_casewatch_publish_over_mutual_tls(secure, tmp_path):
    cert, key = client_certificate("integrator")
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(event("KP1")) + "\n", encoding="utf-8")
    published = secure.casewatch("publish", str(events), env={
        "CASEWATCH_KAFKA_BOOTSTRAP": MTLS, "CASEWATCH_KAFKA_SECURITY_PROTOCOL": "SSL",
        "CASEWATCH_KAFKA_SSL_CAFILE": str(CA_FILE), "CASEWATCH_KAFKA_SSL_CERTFILE": str(cert),
        "CASEWATCH_KAFKA_SSL_KEYFILE": str(key)})
    assert published.returncode == 0, published.stderr
    assert ("KP1", event("KP1")["event_id"]) in [(k, v["event_id"])
                                                for k, v in on_topic(secure.topic("case-events"))]


def test_kcat_without_a_client_certificate_is_refused(secure, kcat, tmp_path):
    sent = publish(kcat, tmp_path, secure.topic("case-events"), [event("KN1")], mtls())
    assert sent.returncode != 0
    assert "bad certificate" in sent.stderr or "certificate required" in sent.stderr, sent.stderr
    assert "KN1" not in [key for key, _ in on_topic(secure.topic("case-events"))]


def test_a_certificate_of_another_ca_is_refused_whatever_its_name(secure, kcat, tmp_path):
    cert, key = other_ca_client(tmp_path)
    # the broker's certificate is still checked against our CA: only the client's is forged
    sent = publish(kcat, tmp_path, secure.topic("case-events"), [event("KF1")],
                   mtls(cert, key))
    assert sent.returncode != 0
    assert "certificate" in sent.stderr, sent.stderr
    assert "KF1" not in [key for key, _ in on_topic(secure.topic("case-events"))]


def test_a_certificate_of_the_local_ca_for_another_name_may_not_publish(secure, kcat,
                                                                         tmp_path):
    sent = publish(kcat, tmp_path, secure.topic("case-events"), [event("KO1")],
                   mtls(*client_certificate("stranger")))
    assert sent.returncode != 0
    assert "Topic authorization failed" in sent.stderr, sent.stderr


@pytest.mark.parametrize("name", ["warnings", "case-events", "case-events.dlq", "case-rows"])
def test_the_mtls_integrator_reads_no_topic(secure, kcat, tmp_path, name):
    read = run_kcat(kcat, tmp_path, "-C", "-t", secure.topic(name), "-o", "beginning", "-e",
                    auth=mtls(*client_certificate("integrator")))
    assert read.returncode != 0
    assert "Topic authorization failed" in read.stderr, read.stderr


def test_the_mtls_integrator_writes_no_other_topic(secure, kcat, tmp_path):
    sent = publish(kcat, tmp_path, secure.topic("warnings"), [event("KW1")],
                   mtls(*client_certificate("integrator")))
    assert sent.returncode != 0
    assert "Topic authorization failed" in sent.stderr, sent.stderr
    assert on_topic(secure.topic("warnings")) == []

