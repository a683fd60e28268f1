"""Generic webhook against a local HTTP receiver: the body byte for byte, the HMAC
signature as a receiver verifies it, errors and timeouts, no secret in any error."""

import asyncio
import hashlib
import hmac

import aiohttp
import pytest

from notify.receivers.base import DeliveryError, payload
from notify.receivers.webhook import Webhook


def run(coro):
    return asyncio.run(coro)


async def send(url, secret, n, r, timeout=5.0):
    async with aiohttp.ClientSession() as session:
        await Webhook(session, url, secret, timeout, clock=lambda: 1_777_000_000).send(n, r)


def test_body_headers_and_signature(http_receiver, sample):
    n, r = sample
    run(send(http_receiver.url, "whsec-1", n, r))
    [req] = http_receiver.requests
    assert req.body == payload(n, r)
    doc = req.json()
    assert doc["notification_id"] == n.notification_id and len(doc["items"]) == 2
    assert doc["items"][0]["message_zh"] == "拘留后应在24小时内通知家属"
    assert req.headers["X-Casewatch-Notification-Id"] == n.notification_id
    assert req.headers["X-Casewatch-Timestamp"] == "1777000000"
    expected = hmac.new(b"whsec-1", b"1777000000." + req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Casewatch-Signature"] == f"sha256={expected}"
    tampered = hmac.new(b"whsec-1", b"1777000000." + req.body + b" ", hashlib.sha256)
    assert req.headers["X-Casewatch-Signature"] != f"sha256={tampered.hexdigest()}"


def test_without_a_secret_there_is_no_signature(http_receiver, sample):
    run(send(http_receiver.url, None, *sample))
    assert "X-Casewatch-Signature" not in http_receiver.requests[0].headers


@pytest.mark.parametrize("status, retriable", [(503, True), (429, True), (400, False),
                                               (404, False)])
def test_error_statuses(http_receiver, sample, status, retriable):
    http_receiver.status = status
    with pytest.raises(DeliveryError) as err:
        run(send(http_receiver.url, "s", *sample))
    assert err.value.retriable is retriable
    assert f"HTTP {status}" in str(err.value)


def test_a_receiver_that_is_down_is_retriable_and_the_url_token_never_shows(
        http_receiver, sample):
    http_receiver.down()
    url = http_receiver.url + "?token=TOPSECRET"
    with pytest.raises(DeliveryError) as err:
        run(send(url, "whsec", *sample))
    assert err.value.retriable
    assert "TOPSECRET" not in str(err.value) and "whsec" not in str(err.value)


def test_a_slow_receiver_times_out(http_receiver, sample):
    http_receiver.delay = 2.0
    with pytest.raises(DeliveryError, match="no answer within 0.5 s"):
        run(send(http_receiver.url, None, *sample, timeout=0.5))
