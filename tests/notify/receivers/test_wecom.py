"""WeCom robot against a local HTTP receiver: the key in the query, the documented
markdown body, at most 4096 bytes of content, errcodes."""

import asyncio
import json

import aiohttp
import pytest

from notify.receivers.base import DeliveryError
from notify.receivers.wecom import MAX_CONTENT_BYTES, WeCom
from notify.render import render
from tests.notify.receivers.conftest import notification


async def send(url, n, r):
    async with aiohttp.ClientSession() as session:
        await WeCom(session, url, "key-123", 5.0, "https://cw.example").send(n, r)


def test_documented_body(http_receiver, sample):
    n, r = sample
    asyncio.run(send(http_receiver.url, n, r))
    [req] = http_receiver.requests
    assert req.query == {"key": "key-123"}
    assert req.body == json.dumps({"msgtype": "markdown", "markdown": {"content": r.markdown}},
                                  ensure_ascii=False, separators=(",", ":")).encode()


def test_content_fits_4096_bytes_and_says_how_many_more(http_receiver):
    n = notification(60)
    asyncio.run(send(http_receiver.url, n, render(n, "https://cw.example")))
    content = json.loads(http_receiver.requests[0].body)["markdown"]["content"]
    assert len(content.encode()) <= MAX_CONTENT_BYTES
    assert "另有" in content and "and " in content


@pytest.mark.parametrize("code, retriable", [(45009, True), (93000, False)])
def test_errcodes(http_receiver, sample, code, retriable):
    http_receiver.answer = {"errcode": code, "errmsg": "no"}
    with pytest.raises(DeliveryError) as err:
        asyncio.run(send(http_receiver.url, *sample))
    assert err.value.retriable is retriable and "key-123" not in str(err.value)
