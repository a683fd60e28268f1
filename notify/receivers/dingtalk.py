"""DingTalk group robot (钉钉自定义机器人): a `markdown` message, signed (加签).

POST `<url>?access_token=<token>&timestamp=<ms>&sign=<sign>` with
`{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`, where `sign` is
Base64(HMAC-SHA256(key=secret, "<ms>\\n<secret>")), URL-encoded, and the timestamp is
the current time in milliseconds (DingTalk refuses one more than an hour off). The robot
answers `{"errcode": 0, "errmsg": "ok"}`; any other errcode is a failure (130101:
sending too fast, retried; others, e.g. 310000 a bad signature, are not).
"""

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import quote_plus, urlencode

import aiohttp

from notify.notification import Notification
from notify.receivers.base import DeliveryError, post
from notify.render import Rendered, render

RETRIABLE_ERRCODES = frozenset({-1, 130101})  # system busy, too many messages
MAX_BYTES = 20000  # DingTalk's limit on a message


def sign(secret: str, timestamp_ms: str) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def body(title: str, markdown: str) -> bytes:
    return json.dumps({"msgtype": "markdown", "markdown": {"title": title, "text": markdown}},
                      ensure_ascii=False, separators=(",", ":")).encode()


async def robot_answer(raw: bytes, retriable_codes: frozenset[int]) -> None:
    """Raise unless a robot's answer is `{"errcode": 0, ...}`."""
    try:
        answer = json.loads(raw)
        code = int(answer.get("errcode", -1))
    except (ValueError, TypeError, AttributeError):
        raise DeliveryError(f"unreadable answer: {raw[:200]!r}") from None
    if code != 0:
        raise DeliveryError(f"errcode {code}: {str(answer.get('errmsg'))[:200]}",
                            code in retriable_codes)


class DingTalk:
    kind = "dingtalk"

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str,
                 secret: str | None, timeout: float, console_url: str, clock=time.time):
        self.session, self.url, self.token, self.secret = session, url, token, secret
        self.timeout, self.console_url, self.clock = timeout, console_url, clock

    def request(self, notification: Notification, rendered: Rendered) -> tuple[str, bytes]:
        query = {"access_token": self.token}
        suffix = ""
        if self.secret:
            timestamp = str(int(self.clock() * 1000))
            query["timestamp"] = timestamp
            suffix = "&sign=" + sign(self.secret, timestamp)  # already URL-encoded
        data = body(rendered.title, rendered.markdown)
        shown = len(notification.items)
        while len(data) > MAX_BYTES and shown > 1:
            shown //= 2
            smaller = render(notification, self.console_url, max_items=shown)
            data = body(smaller.title, smaller.markdown)
        return f"{self.url}?{urlencode(query)}{suffix}", data

    async def send(self, notification: Notification, rendered: Rendered) -> None:
        url, data = self.request(notification, rendered)
        _, raw = await post(self.session, url, data,
                            {"Content-Type": "application/json; charset=utf-8"}, self.timeout,
                            [self.token, self.secret])
        await robot_answer(raw, RETRIABLE_ERRCODES)
