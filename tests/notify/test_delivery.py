"""Delivery: retries with exponential backoff up to the receiver's limit, every attempt
reported, permanent errors not retried, a receiver's bug contained, order per receiver."""

import asyncio

from notify.delivery import Delivery
from notify.receivers.base import DeliveryError
from tests.notify.receivers.conftest import notification
from tests.notify.support import config

FILE = """
[[routes]]
name = "units"
receivers = ["duty"]
"""


class Flaky:
    def __init__(self, failures, error=None):
        self.failures, self.sent = failures, []
        self.error = error or DeliveryError("HTTP 503")

    async def send(self, n, rendered):
        if self.failures:
            self.failures -= 1
            raise self.error
        self.sent.append(n.notification_id)


def deliver(receiver, *notifications, retries=None):
    cfg = config(FILE)
    if retries is not None:
        cfg = cfg.model_copy(update={"receivers": [
            r.model_copy(update={"retries": retries}) for r in cfg.receivers]})
    waits, attempts = [], []
    async def sleep(seconds):
        waits.append(seconds)

    async def main():
        finished = asyncio.Event()

        def report(attempt):
            attempts.append(attempt)
            attempt.recorded.set_result(None)
            if attempt.final and sum(a.final for a in attempts) == len(notifications):
                finished.set()

        d = Delivery(cfg, {"duty": receiver}, report, sleep=sleep)
        for n in notifications:
            d.submit(n)
            d.submit(n)  # submitted twice, queued once
        await asyncio.wait_for(finished.wait(), 5)
        await d.stop()

    asyncio.run(main())
    return attempts, waits


def with_receiver(n, name="duty"):
    return n.model_copy(update={"receiver": name})


def test_retried_with_backoff_until_it_goes_through():
    receiver = Flaky(3)
    attempts, waits = deliver(receiver, with_receiver(notification()))
    assert [(a.ok, a.final) for a in attempts] == [(False, False)] * 3 + [(True, True)]
    assert waits == [1.0, 2.0, 4.0]
    assert len(receiver.sent) == 1


def test_gives_up_after_the_retries_and_says_so():
    attempts, waits = deliver(Flaky(10), with_receiver(notification()), retries=2)
    assert [(a.ok, a.final) for a in attempts] == [(False, False), (False, False),
                                                   (False, True)]
    assert attempts[-1].error == "HTTP 503"


def test_a_permanent_error_is_not_retried():
    attempts, waits = deliver(Flaky(1, DeliveryError("HTTP 400", retriable=False)),
                              with_receiver(notification()))
    assert [(a.ok, a.final) for a in attempts] == [(False, True)] and waits == []


def test_a_receiver_bug_is_a_failed_attempt_not_a_crash():
    attempts, _ = deliver(Flaky(1, KeyError("boom")), with_receiver(notification()))
    assert [a.ok for a in attempts] == [False, True] and attempts[0].error == "KeyError"


def test_the_next_attempt_waits_until_the_last_one_is_recorded():
    cfg = config(FILE)
    order = []

    class Recording:
        async def send(self, n, rendered):
            order.append(("sent", n.notification_id))

    async def main():
        pending = []
        d = Delivery(cfg, {"duty": Recording()}, pending.append)
        for i in range(2):
            d.submit(with_receiver(notification(nid=f"{i:032x}")))
        for _ in range(2):
            while not pending:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # a sender that did not wait would send the next now
            attempt = pending.pop()
            order.append(("recorded", attempt.notification.notification_id))
            attempt.recorded.set_result(None)
        await d.stop()

    asyncio.run(main())
    ids = [f"{i:032x}" for i in range(2)]
    assert order == [("sent", ids[0]), ("recorded", ids[0]), ("sent", ids[1]),
                     ("recorded", ids[1])]


def test_one_receiver_gets_its_messages_in_order():
    receiver = Flaky(0)
    ns = [with_receiver(notification(nid=f"{i:032x}")) for i in range(5)]
    deliver(receiver, *ns)
    assert receiver.sent == [n.notification_id for n in ns]
