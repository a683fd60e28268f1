"""`casewatch publish` against the real Kafka: valid lines sent keyed by case, invalid not."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic

CASEWATCH = Path(sys.executable).parent / "casewatch"


def test_publish_sends_valid_lines_and_reports_invalid_ones(stack, tmp_path):
    topic = f"it-publish-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap)
    admin.create_topics([NewTopic(topic, 1, 1)])
    good = {"event_id": "E1", "schema_version": 1, "event_type": "detained",
            "occurred_at": "2026-05-01T15:00:00+08:00", "case_id": "C9", "case_kind": "criminal",
            "person_id": "P1", "unit_id": "U1"}
    lines = [json.dumps(good), "not json", json.dumps({**good, "event_id": "E2",
                                                       "occurred_at": "2026-05-01T15:00:00"}),
             json.dumps({**good, "unit_id": "U2"}), json.dumps({**good, "event_id": "E3"}),
             json.dumps({**good, "event_id": "E4", "occurred_at": "1900-01-01T00:00:00+08:00"}),
             json.dumps({**good, "event_id": "E5", "occurred_at": "9999-12-31T23:59:59+08:00"})]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run([str(CASEWATCH), "publish", str(path), "--topic", topic,
                           "--bootstrap", stack.bootstrap], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 3, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("line ")]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3", "line 4", "line 6",
                                                 "line 7"]
    assert "conflicts with line 1" in errors[2]
    assert "is before 1990-01-01T00:00:00+08:00" in errors[3]
    assert errors[4].startswith("line 7: occurred_at: 9999-12-31T23:59:59+08:00 is more than "
                                "24 hours after ")
    consumer = KafkaConsumer(topic, bootstrap_servers=stack.bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000)
    got = [(m.key.decode(), json.loads(m.value)["event_id"]) for m in consumer]
    consumer.close()
    admin.delete_topics([topic])
    admin.close()
    assert got == [("C9", "E1"), ("C9", "E3")]


def test_publish_to_a_missing_topic_exits_2_without_sending(stack, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    proc = subprocess.run([str(CASEWATCH), "publish", str(path), "--topic", "it-no-such-topic",
                           "--bootstrap", stack.bootstrap], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "cannot publish to it-no-such-topic" in proc.stderr


def test_publish_of_an_unreadable_file_exits_2(tmp_path):
    proc = subprocess.run([str(CASEWATCH), "publish", str(tmp_path / "missing.jsonl")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr
