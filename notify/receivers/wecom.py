"""WeCom group robot (企业微信群机器人): a `markdown` message.

POST `<url>?key=<key>` with `{"msgtype": "markdown", "markdown": {"content": ...}}`; the
content is at most 4096 bytes of UTF-8, so a long digest shows fewer items and says how
many more. The key in the URL is the robot's only credential (WeCom robots have no
signing). The robot answers `{"errcode": 0, "errmsg": "ok"}` (45009: too fast, retried).
"""

import json
from urllib.parse import urlencode

import aiohttp

from notify.notification import Notification
from notify.receivers.base import post
from notify.receivers.dingtalk import robot_answer
from notify.render import Rendered, render

MAX_CONTENT_BYTES = 4096
RETRIABLE_ERRCODES = frozenset({-1, 45009})


def body(content: str) -> bytes:
    return json.dumps({"msgtype": "markdown", "markdown": {"content": content}},
                      ensure_ascii=False, separators=(",", ":")).encode()


def fit(notification: Notification, rendered: Rendered, console_url: str) -> str:
    """The Markdown with as many items as fit in 4096 bytes (at least the heading)."""
    content, shown = rendered.markdown, len(notification.items)
    while len(content.encode()) > MAX_CONTENT_BYTES and shown > 0:
        shown -= 1
        content = render(notification, console_url, max_items=shown).markdown
    return content.encode()[:MAX_CONTENT_BYTES].decode("utf-8", "ignore")


class WeCom:
    kind = "wecom"

    def __init__(self, session: aiohttp.ClientSession, url: str, key: str, timeout: float,
                 console_url: str):
        self.session, self.url, self.key = session, url, key
        self.timeout, self.console_url = timeout, console_url

    def request(self, notification: Notification, rendered: Rendered) -> tuple[str, bytes]:
        return (f"{self.url}?{urlencode({'key': self.key})}",
                body(fit(notification, rendered, self.console_url)))

    async def send(self, notification: Notification, rendered: Rendered) -> None:
        url, data = self.request(notification, rendered)
        _, raw = await post(self.session, url, data,
                            {"Content-Type": "application/json; charset=utf-8"}, self.timeout,
                            [self.key])
        await robot_answer(raw, RETRIABLE_ERRCODES)
