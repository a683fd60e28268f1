"""Generic webhook: POST the notification's JSON (receivers/base.py `payload`).

Headers: `X-Casewatch-Notification-Id` (the same on every copy: deduplicate by it),
`X-Casewatch-Timestamp` (Unix seconds) and, with a secret, `X-Casewatch-Signature:
sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>` under the secret — the receiver
recomputes it over the raw body and refuses a stale timestamp (replay).
"""

import hashlib
import hmac
import time

import aiohttp

from notify.notification import Notification
from notify.receivers.base import payload, post
from notify.render import Rendered


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Webhook:
    kind = "webhook"

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str | None,
                 timeout: float, clock=time.time):
        self.session, self.url, self.secret, self.timeout = session, url, secret, timeout
        self.clock = clock

    async def send(self, notification: Notification, rendered: Rendered) -> None:
        body = payload(notification, rendered)
        timestamp = str(int(self.clock()))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "X-Casewatch-Notification-Id": notification.notification_id,
                   "X-Casewatch-Timestamp": timestamp}
        if self.secret:
            headers["X-Casewatch-Signature"] = signature(self.secret, timestamp, body)
        await post(self.session, self.url, body, headers, self.timeout,
                   [self.secret, self.url])
