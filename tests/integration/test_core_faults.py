"""Fault tests of the exactly-once core (issue 16, item 8) on the real Kafka and ClickHouse,
each ending with the verdict of tests/support/checks.py (topic and ClickHouse equal
`casewatch evaluate`, counts not sets):

- a worker SIGSTOPped longer than its session timeout while events flow and dues fire,
  then SIGCONTed: the zombie must not publish a stale state;
- a due job dying inside its transaction (changelog and warnings sent, not committed):
  the due fires again;
- a rules bug on one event: that event alone is dead-lettered;
- a case whose stored state no longer reads: quarantined with a system warning, the rest
  goes on, and after the fix its kept events are replayed;
- a 2,000-event case in one batch and 40 KB events: outputs fit, the worker never stops;
- one case published by kcat and by `casewatch publish`: one home;
- a three-broker Kafka with replication 3 and min.insync 2 losing a broker mid-stream.
"""

import dataclasses
import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from random import Random

import pytest

from tests.support.checks import pipeline_failures
from tests.support.histories import past_events
from tests.support.kafka_topics import read_topic
from tests.support.kcat import kcat_publish
from tests.support.oracle import last_on_topic
from tests.support.publishing import Publisher, encode
from tests.support.quiescence import wait_processed, wait_quiescent
from tests.support.sandbox import Sandbox
from tests.support.worker_process import VENV_BIN

pytestmark = pytest.mark.timeout(900)


def publish(box: Sandbox, events: list[dict], seconds: float = 0.0) -> Publisher:
    return Publisher(box.stack.bootstrap, box.topic("case-events"),
                     [encode(e) for e in events], seconds=seconds).start()


def event(case_id: str, event_type: str, at: datetime, person: str | None = "P1",
          n: int = 0, **details) -> dict:
    return {"event_id": f"{case_id}-{event_type}-{n}", "schema_version": 1,
            "event_type": event_type, "occurred_at": at.isoformat(), "case_id": case_id,
            "case_kind": "criminal", "person_id": person, "unit_id": "U3301",
            "details": details}


def detentions_due_soon(count: int, first: float, last: float, tag: str) -> list[dict]:
    """Detentions whose family notice (24 h) falls due between `first` and `last` seconds
    from now: dues that fire while the test runs, with no event of their own."""
    now = datetime.now(UTC)
    step = (last - first) / max(1, count - 1)
    return [event(f"{tag}{i}", "detained",
                  now - timedelta(hours=24) + timedelta(seconds=first + i * step))
            for i in range(count)]


def verdict(box: Sandbox, events: list[dict], workdir, **kwargs) -> None:
    failures = pipeline_failures(box, events, workdir, **kwargs)
    assert not failures, "\n".join(failures)


def warnings_on_topic(box: Sandbox) -> dict[str, dict]:
    return last_on_topic(read_topic(box.stack.bootstrap, box.topic("warnings")))


# ------------------------------------------------------------------------- zombies

def test_a_worker_paused_past_its_session_timeout_publishes_nothing_stale(
        sandbox, scale, tmp_path):
    """The first worker stops itself with a job's outputs computed and not yet written (as
    a GC pause or a stalled VM can), for longer than its session timeout (10 s): its
    partitions move to the second, which goes on with the cases' later events; then it
    wakes and tries to write what it computed before."""
    events = past_events(scale.events, seed=scale.seed)
    Random(scale.seed).shuffle(events)  # a case's later events come after the pause
    due = detentions_due_soon(300, 15, 75, "Z")
    all_due = time.monotonic() + 80
    first = sandbox.worker("w1", fault="stop_in_job:10")
    second = sandbox.worker("w2")
    first.start()
    second.start()
    feed = publish(sandbox, events + due, scale.publish_seconds)
    deadline = time.monotonic() + 120
    while not first.stopped:
        assert time.monotonic() < deadline, "the first worker never stopped in a job"
        time.sleep(0.05)
    time.sleep(19)
    first.resume()
    feed.join()
    time.sleep(max(0.0, all_due - time.monotonic()))  # every due of `due` has come
    assert first.alive and second.alive
    verdict(sandbox, events + due, tmp_path)
    assert first.metric("casewatch_fenced_total") >= 1  # it did try, and was refused


def test_a_due_dying_inside_its_transaction_fires_again(sandbox, tmp_path):
    events = detentions_due_soon(20, 12, 14, "D")
    faulty = sandbox.worker("w1", fault="crash_in_due_commit")
    faulty.start()
    publish(sandbox, events).join()
    assert faulty.proc.wait(120) == 1
    assert "dying inside a due job's transaction" in faulty.log_path.read_text()
    worker = sandbox.worker("w1")  # the same local store, a worker without the fault
    worker.start()
    time.sleep(3)
    verdict(sandbox, events, tmp_path)
    overdue = [w for w in warnings_on_topic(sandbox).values()
               if w["rule_id"] == "det_family_notice" and w["level"] == "overdue"]
    assert len(overdue) == len(events)


# ------------------------------------------------------------------------- one bad case

def test_a_rules_bug_on_one_event_dead_letters_that_event_alone(sandbox, scale, tmp_path):
    events = past_events(3_000, seed=scale.seed)
    by_case: dict[str, list[dict]] = {}
    for e in events:
        by_case.setdefault(e["case_id"], []).append(e)
    history = max(by_case.values(), key=len)
    bad = history[len(history) // 2]
    worker = sandbox.worker("w1", fault=f"rules_bug:{bad['event_id']}")
    worker.start()
    publish(sandbox, events).join()  # as fast as it goes: the case's events share batches
    good = [e for e in events if e is not bad]
    verdict(sandbox, good, tmp_path, dead_letters=1)
    (letter,) = [json.loads(r.value) for r in read_topic(sandbox.stack.bootstrap,
                                                          sandbox.topic("case-events.dlq"))]
    assert json.loads(letter["value_text"])["event_id"] == bad["event_id"]
    assert letter["reasons"] == ["processing failed: ZeroDivisionError: injected rules bug"]
    assert worker.alive and worker.starts == 1


def test_a_case_that_no_longer_restores_is_quarantined_then_replayed(sandbox, tmp_path):
    start = datetime.now(UTC) - timedelta(days=400)
    cases = ("QA", "QB")
    first = [event(c, "detained", start) for c in cases]
    later = [event(c, "family_notified", start + timedelta(hours=30), measure="detention")
             for c in cases] + [event("QA", "arrest_requested", start + timedelta(days=2))]
    worker = sandbox.worker("w1")
    worker.start()
    publish(sandbox, first).join()
    wait_quiescent(sandbox)
    worker.stop()

    faulty = sandbox.worker("w1", fault="unreadable:QA")  # an upgrade that cannot read QA
    faulty.start()
    publish(sandbox, later).join()
    wait_quiescent(sandbox)
    on_topic = warnings_on_topic(sandbox)
    (system,) = [w for w in on_topic.values() if w["level"] == "system"]
    assert (system["case_id"], system["status"], system["rule_id"]) == (
        "QA", "open", "case_processing_error")
    assert "案件处理异常" in system["message_zh"]
    notices = {w["case_id"]: w["status"] for w in on_topic.values()
               if w["rule_id"] == "det_family_notice"}
    assert notices == {"QA": "open", "QB": "resolved"}  # QA's notice is kept, not applied
    assert faulty.alive
    faulty.stop()

    fixed = sandbox.worker("w1")  # the fix: a worker that reads QA again
    fixed.start()
    time.sleep(2)
    verdict(sandbox, first + later, tmp_path)
    assert warnings_on_topic(sandbox)[system["warning_id"]]["status"] == "resolved"


# ------------------------------------------------------------------------- sizes

def test_a_2000_event_case_and_40_kb_events_fit_and_the_worker_goes_on(sandbox, tmp_path):
    start = datetime.now(UTC) - timedelta(days=400)
    crowd = [event("BIG", "detained", start + timedelta(seconds=i), person=f"P{i}", n=i)
             for i in range(2_000)]
    fat = [dict(event(f"FAT{i % 4}", "detained", start + timedelta(minutes=i), person=f"P{i}",
                      n=i), note="x" * 40_000) for i in range(40)]
    worker = sandbox.worker("w1")
    worker.start()
    publish(sandbox, crowd + fat).join()
    verdict(sandbox, crowd + fat, tmp_path)
    assert worker.alive and worker.starts == 1


# ------------------------------------------------------------------------- one home

def test_one_case_published_by_kcat_and_by_casewatch_publish_has_one_history(
        sandbox, tmp_path):
    start = datetime.now(UTC) - timedelta(days=400)
    cases = [f"K{i}" for i in range(40)]
    by_kcat = [event(c, "detained", start) for c in cases]
    by_publish = [event(c, "family_notified", start + timedelta(hours=2), measure="detention")
                  for c in cases]
    worker, other = sandbox.worker("w1"), sandbox.worker("w2")  # two homes for a split case
    worker.start()
    other.start()
    kcat_publish(sandbox.stack.bootstrap, sandbox.topic("case-events"), by_kcat, tmp_path)
    lines = tmp_path / "publish.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in by_publish), encoding="utf-8")
    subprocess.run([str(VENV_BIN / "casewatch"), "publish", str(lines)], check=True,
                   env={**worker.env}, capture_output=True, timeout=120)
    verdict(sandbox, by_kcat + by_publish, tmp_path)
    forwarded = sum(w.metric_values("casewatch_events_in_total").get(
        '{result="forwarded"}', 0) for w in (worker, other))
    assert forwarded > 0  # kcat put some elsewhere
    notices = [w for w in warnings_on_topic(sandbox).values()
               if w["rule_id"] == "det_family_notice"]
    # raised while only the detention was in, then withdrawn when its notice met it in the
    # same history (on two partitions the notice would never close it)
    assert {w["status"] for w in notices} <= {"withdrawn"}


# ------------------------------------------------------------------------- a broker lost

def test_a_broker_lost_mid_stream_with_replication_3_loses_nothing(
        stack, kafka_cluster, scale, tmp_path):
    cluster = dataclasses.replace(stack, bootstrap=kafka_cluster.bootstrap)
    box = Sandbox(cluster, tmp_path, env={"CASEWATCH_REPLICATION_FACTOR": "3",
                                          "CASEWATCH_MIN_INSYNC_REPLICAS": "2"})
    try:
        events = past_events(scale.events, seed=scale.seed)
        worker = box.worker("w1")
        worker.start()
        feed = publish(box, events, scale.publish_seconds)
        wait_processed(box, len(events) // 3)
        victim = Random(scale.seed).choice([1, 2, 3])
        kafka_cluster.kill(victim)
        feed.join()
        assert worker.alive
        verdict(box, events, tmp_path)
        kafka_cluster.start(victim)
    finally:
        box.close()
