"""Fault tests of the whole pipeline on the real Kafka and ClickHouse (issue 6, item 6).

Each test publishes generated case histories (every deadline long past), disturbs the
pipeline while they flow, and then checks everything together (tests/support/checks.py):
the current state of every warning on the warnings topic and in ClickHouse equals
`casewatch evaluate` at the same instant; ClickHouse rows after OPTIMIZE FINAL equal
distinct keys; the worker group committed the end of the input; the dead-letter topic
holds exactly the malformed inputs. Sizes and durations: tests/support/scale.py.

The ClickHouse and Kafka tests stop the shared services: other developers' tests fail
meanwhile. On a shared machine run them with CASEWATCH_STATE_DIR pointing at the stack.
"""

import json
import time
from collections import Counter
from random import Random

import pytest

from tests.support.checks import pipeline_failures
from tests.support.histories import past_events
from tests.support.kafka_topics import read_topic
from tests.support.malformed import MiB, malformed_messages
from tests.support.publishing import Publisher, encode
from tests.support.quiescence import wait_processed
from tests.support.sandbox import Sandbox
from tests.support.supervisor import Supervisor

pytestmark = pytest.mark.timeout(900)


def publisher(sandbox: Sandbox, events: list[dict], seconds: float) -> Publisher:
    return Publisher(sandbox.stack.bootstrap, sandbox.topic("case-events"),
                     [encode(e) for e in events], seconds=seconds).start()


def assert_no_failures(failures: list[str]) -> None:
    assert not failures, "\n".join(failures)


def test_worker_sigkilled_at_random_moments_loses_nothing(sandbox, scale, tmp_path):
    rng = Random(scale.seed)
    events = past_events(scale.events, seed=scale.seed)
    worker = sandbox.worker("w1")
    worker.start()
    feed = publisher(sandbox, events, scale.publish_seconds)
    # A kill at each of `kills` random shares of the input processed; every third one
    # instead hits the worker a moment after it was spawned, during start-up or recovery.
    shares = sorted(rng.uniform(0.05, 0.95) for _ in range(scale.kills))
    for i, share in enumerate(shares):
        during_start = i % 3 == 2
        if during_start:
            time.sleep(rng.uniform(0.5, 4.0))
        else:
            worker.wait_ready()
            wait_processed(sandbox, int(share * len(events)))
            time.sleep(rng.uniform(0.0, 1.0))
        worker.kill()
        worker.start(wait=False)
    worker.wait_ready()
    feed.join()
    assert worker.starts == scale.kills + 1
    assert_no_failures(pipeline_failures(sandbox, events, tmp_path))


def test_a_third_worker_joins_and_one_is_killed_mid_stream(sandbox, scale, tmp_path):
    events = past_events(scale.events, seed=scale.seed)
    first, second, third = (sandbox.worker(n) for n in ("w1", "w2", "w3"))
    first.start()
    second.start()
    feed = publisher(sandbox, events, scale.publish_seconds)
    wait_processed(sandbox, len(events) // 3)
    third.start()
    wait_processed(sandbox, 2 * len(events) // 3)
    first.kill()
    feed.join()
    assert second.alive and third.alive
    assert_no_failures(pipeline_failures(sandbox, events, tmp_path))


def test_clickhouse_down_for_a_minute_with_a_rebalance_loses_nothing(sandbox, scale, stack,
                                                                      tmp_path):
    events = past_events(scale.events, seed=scale.seed)
    down = scale.clickhouse_down_seconds
    first, second = sandbox.worker("w1"), sandbox.worker("w2")
    first.start()
    second.start()
    feed = publisher(sandbox, events, down)
    stack.stop("clickhouse")
    stopped = time.monotonic()
    try:
        time.sleep(down / 3)
        second.stop()  # leaves the group: its partitions move to the first worker
        time.sleep(down / 3)
        second.start(wait=False)  # joins again while ClickHouse is still down
        time.sleep(max(0.0, stopped + down - time.monotonic()))
    finally:
        stack.start("clickhouse")
    second.wait_ready(180)
    feed.join()
    assert first.alive and second.alive
    assert_no_failures(pipeline_failures(sandbox, events, tmp_path))


def test_kafka_broker_restarted_mid_stream_loses_nothing(sandbox, scale, stack, tmp_path):
    events = past_events(scale.events, seed=scale.seed)
    worker = sandbox.worker("w1")
    worker.start()
    feed = publisher(sandbox, events, scale.publish_seconds)
    wait_processed(sandbox, len(events) // 4)
    stack.disturbed = True
    # A worker may stop (loudly) while its broker is away; it must never hang: its
    # service manager restarts it, and what matters is that nothing is lost.
    with Supervisor(worker) as supervisor:
        stack.run("restart", "kafka")
        feed.join()
        failures = pipeline_failures(sandbox, events, tmp_path, timeout=420)
    print(f"worker exits during the test: {supervisor.exits}")
    assert_no_failures(failures)


def test_malformed_messages_are_dead_lettered_exactly_and_the_worker_stays_up(
        sandbox, scale, tmp_path):
    # 2 MiB bodies need the input topic's max.message.bytes raised (streams/topics.py)
    rng = Random(scale.seed)
    events = past_events(scale.valid_with_malformed, seed=scale.seed)
    valid = [encode(e) for e in events]
    malformed = list(malformed_messages(scale.malformed, rng))
    # Mixed at random; the valid events keep their order (their cases' order).
    slots = [True] * len(malformed) + [False] * len(valid)
    rng.shuffle(slots)
    bad, good = iter(malformed), iter(valid)
    mixed = [next(bad) if is_bad else next(good) for is_bad in slots]
    worker = sandbox.worker("w1")
    worker.start()
    pid = worker.pid
    feed = Publisher(sandbox.stack.bootstrap, sandbox.topic("case-events"), mixed,
                     max_message_bytes=3 * MiB).start()
    feed.join()
    failures = pipeline_failures(sandbox, events, tmp_path, dead_letters=len(malformed))

    sizes = {p: len(m[1]) for p, m, is_bad in zip(feed.placed, mixed, slots, strict=True)
             if is_bad}
    placed_bad = Counter(sizes.keys())
    dead = [json.loads(r.value) for r in read_topic(sandbox.stack.bootstrap,
                                                     sandbox.topic("case-events.dlq"))]
    dead_at = Counter((d["partition"], d["offset"]) for d in dead)
    if dead_at != placed_bad:
        failures.append(f"dead letters at {sum(dead_at.values())} positions, malformed at "
                        f"{len(placed_bad)}: {sum((dead_at - placed_bad).values())} dead "
                        f"letters not of a malformed input, "
                        f"{sum((placed_bad - dead_at).values())} malformed inputs without one "
                        f"(bytes: {sorted(sizes[p] for p in placed_bad - dead_at)[:10]})")
    if (worker.pid, worker.alive, worker.starts) != (pid, True, 1):
        failures.append(f"worker restarted or died: pid {pid} -> {worker.pid}, alive "
                        f"{worker.alive}, exit {worker.proc.returncode}")
    assert_no_failures(failures)
