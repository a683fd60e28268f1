"""The notifier under faults, counted at the receiver: SIGKILLed mid-delivery (nothing
lost, nothing recorded as delivered sent again, nothing decided twice), and a receiver
down for 60 s then back (held, retried with backoff, delivered; queue age visible)."""

import json
import os
import random
import time
import urllib.request
from collections import Counter

import pytest

from tests.integration.notify_bureau import Bureau, warning
from tests.integration.test_notify import wait_for

KILLS = int(os.environ.get("CASEWATCH_NOTIFY_FAULT_KILLS", "4"))
WARNINGS = int(os.environ.get("CASEWATCH_NOTIFY_FAULT_WARNINGS", "300"))
DOWN_SECONDS = float(os.environ.get("CASEWATCH_NOTIFY_DOWN_SECONDS", "60"))
SEED = int(os.environ.get("CASEWATCH_NOTIFY_FAULT_SEED", str(random.randrange(10**6))))


@pytest.fixture
def bureau(stack, tmp_path):
    # one message per case, so that hundreds of deliveries are in flight over seconds
    b = Bureau(stack, tmp_path, group_wait="0s", group_interval="1s")
    text = (tmp_path / "notify.toml").read_text().replace(
        'group_by = ["unit_id"]', 'group_by = ["case_id"]', 1)
    (tmp_path / "notify.toml").write_text(text)
    try:
        yield b
    finally:
        b.close()


def test_sigkill_mid_delivery_loses_nothing_and_resends_nothing_delivered(bureau):
    print(f"seed {SEED}")
    rng = random.Random(SEED)
    bureau.webhook.delay = 0.03
    bureau.notifier.start()
    for i in range(WARNINGS):
        bureau.warn(warning(f"k{i:04d}", case=f"C{i:04d}"))
    bureau.flush()
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.5, 2.5))
        bureau.notifier.kill()
        bureau.notifier.start()
    expected = {f"warning/k{i:04d}" for i in range(WARNINGS)}

    def received():
        return {i["key"] for r in bureau.webhook.requests for i in r.json()["items"]}

    wait_for(lambda: received() >= expected, timeout=180, what="every warning delivered")
    time.sleep(3)
    copies = Counter(r.headers["X-Casewatch-Notification-Id"] for r in bureau.webhook.requests)
    decided = {}
    for r in bureau.webhook.requests:
        for item in r.json()["items"]:
            decided.setdefault(item["key"], set()).add(r.headers["X-Casewatch-Notification-Id"])
    twice_decided = {k: v for k, v in decided.items() if len(v) > 1}

    def sent_records():
        return Counter(a["notification_id"] for a in bureau.attempts()
                       if a["status"] == "sent" and a["receiver"] == "u1-webhook")

    # the last delivery's record is committed a round after its answer
    sent = wait_for(lambda: s if set(s := sent_records()) >= set(copies) else None,
                    timeout=30, what="a sent record for every notification")
    duplicates = sum(n - 1 for n in copies.values())
    print(f"{len(bureau.webhook.requests)} requests, {len(copies)} notifications, "
          f"{duplicates} copies sent again after {KILLS} kills")
    assert received() == expected  # nothing lost
    assert twice_decided == {}  # no warning went out in two notifications
    # a delivery recorded as done is never sent again: one "sent" record per notification
    assert set(sent) == set(copies)
    assert {n for n, c in sent.items() if c > 1} == set()
    # an unrecorded delivery (the kill came between the answer and the record) is sent
    # again under its id: at most one per kill, as each receiver sends one at a time
    assert duplicates <= KILLS


def test_a_receiver_down_for_60_seconds_gets_everything_when_it_is_back(bureau):
    bureau.write_routing(retries=30)  # 0.5 s doubling to 5 s: retried for about 2.5 min
    text = (bureau.tmp / "notify.toml").read_text().replace(
        'group_by = ["unit_id"]', 'group_by = ["case_id"]', 1)
    (bureau.tmp / "notify.toml").write_text(text)
    bureau.webhook.down()
    bureau.notifier.start()
    for i in range(20):
        bureau.warn(warning(f"d{i:02d}", case=f"D{i:02d}"))
    bureau.flush()
    started = time.monotonic()
    time.sleep(max(0.0, DOWN_SECONDS - 5))
    port = bureau.env["CASEWATCH_NOTIFY_METRICS_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        metrics = resp.read().decode()
    age = next(float(line.split()[-1]) for line in metrics.splitlines()
               if line.startswith("casewatch_notify_queue_age_seconds "))
    assert age >= DOWN_SECONDS - 15
    time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - started)))
    assert bureau.webhook.requests == []
    bureau.webhook.up()
    wait_for(lambda: len({i["key"] for r in bureau.webhook.requests
                          for i in r.json()["items"]}) == 20, timeout=60,
             what="everything after the receiver came back")

    def by_id():
        out = {}
        for a in bureau.attempts():
            if a["receiver"] == "u1-webhook":
                out.setdefault(a["notification_id"], []).append(a)
        return out

    def all_sent():
        log = by_id()
        return log if sum(t[-1]["status"] == "sent" for t in log.values()) == 20 else None

    log = wait_for(all_sent, what="a sent record for each of the 20")
    attempts = [a for tries in log.values() for a in tries]
    # the head of the receiver's queue was retried with backoff through the outage (the
    # others waited behind it, in order); nothing was given up
    assert max(len(tries) for tries in log.values()) >= 10
    assert {a["status"] for a in attempts} == {"retrying", "sent"}
    assert any("ClientConnectorError" in a["error"] for a in attempts)
    assert len(bureau.webhook.requests) == 20  # each once
    assert json.loads(bureau.webhook.requests[0].body)["items"]
