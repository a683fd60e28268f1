"""DingTalk robot against a local HTTP receiver: the documented markdown body and the
加签 signature (timestamp in ms, Base64(HMAC-SHA256(secret, "<ts>\\n<secret>")))
recomputed independently; errcodes; a message over 20,000 bytes cut to fit."""

import asyncio
import base64
import hashlib
import hmac
import json
import time

import aiohttp
import pytest

from notify.receivers.base import DeliveryError
from notify.receivers.dingtalk import MAX_BYTES, DingTalk
from notify.render import render
from tests.notify.receivers.conftest import notification

SECRET = "SEC0123456789abcdef"


async def send(url, n, r, token="tok-1", secret=SECRET):
    async with aiohttp.ClientSession() as session:
        await DingTalk(session, url, token, secret, 5.0, "https://cw.example").send(n, r)


def test_documented_body_and_signature(http_receiver, sample):
    n, r = sample
    before = int(time.time() * 1000)
    asyncio.run(send(http_receiver.url, n, r))
    [req] = http_receiver.requests
    assert req.query["access_token"] == "tok-1"
    ts = req.query["timestamp"]
    assert before <= int(ts) <= int(time.time() * 1000)
    digest = hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert req.query["sign"] == base64.b64encode(digest).decode()  # URL-decoded by the server
    assert req.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(req.body) == {"msgtype": "markdown",
                                    "markdown": {"title": r.title, "text": r.markdown}}
    assert req.body == json.dumps({"msgtype": "markdown", "markdown": {
        "title": r.title, "text": r.markdown}}, ensure_ascii=False,
        separators=(",", ":")).encode()
    assert "拘留后应在24小时内通知家属" in json.loads(req.body)["markdown"]["text"]


def test_a_sign_with_plus_and_slash_survives_url_encoding(http_receiver, sample):
    for _ in range(5):  # Base64 often has + / =; the robot must read back the same sign
        asyncio.run(send(http_receiver.url, *sample))
    for req in http_receiver.requests:
        ts = req.query["timestamp"]
        digest = hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()
        assert req.query["sign"] == base64.b64encode(digest).decode()


def test_without_a_secret_no_timestamp_or_sign(http_receiver, sample):
    asyncio.run(send(http_receiver.url, *sample, secret=None))
    assert set(http_receiver.requests[0].query) == {"access_token"}


@pytest.mark.parametrize("code, retriable", [(130101, True), (310000, False), (300001, False)])
def test_errcodes(http_receiver, sample, code, retriable):
    http_receiver.answer = {"errcode": code, "errmsg": "refused"}
    with pytest.raises(DeliveryError) as err:
        asyncio.run(send(http_receiver.url, *sample))
    assert err.value.retriable is retriable and f"errcode {code}" in str(err.value)
    assert "tok-1" not in str(err.value)


def test_an_unreadable_answer_is_a_failure(http_receiver, sample):
    http_receiver.answer = ["not", "an", "object"]
    with pytest.raises(DeliveryError, match="unreadable answer"):
        asyncio.run(send(http_receiver.url, *sample))


def test_a_huge_digest_is_cut_to_the_limit(http_receiver):
    n = notification(400)
    asyncio.run(send(http_receiver.url, n, render(n, "https://cw.example")))
    [req] = http_receiver.requests
    assert len(req.body) <= MAX_BYTES
    assert "另有" in json.loads(req.body)["markdown"]["text"]
