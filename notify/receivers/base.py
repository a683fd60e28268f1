"""What every receiver shares: the error it raises, secret redaction, the JSON payload of
a notification (webhook body, Kafka value) and one HTTP POST with a timeout."""

import json
from collections.abc import Iterable

import aiohttp

from notify.notification import Notification
from notify.render import Rendered


class DeliveryError(Exception):
    """The receiver did not take the message. `retriable`: trying again may succeed."""

    def __init__(self, message: str, retriable: bool = True):
        super().__init__(message)
        self.retriable = retriable


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret value replaced (errors may quote a URL with a token)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def payload(notification: Notification, rendered: Rendered) -> bytes:
    """The JSON document of a notification: sorted keys, UTF-8, no spaces (what a webhook
    signs and a Kafka consumer reads)."""
    doc = {
        "version": 1,
        "notification_id": notification.notification_id,
        "reason": notification.reason,
        "receiver": notification.receiver,
        "group": notification.group,
        "created_at": json.loads(notification.model_dump_json(include={"created_at"}))[
            "created_at"],
        "title": rendered.title,
        "text": rendered.text,
        "items": [json.loads(i.model_dump_json()) for i in notification.items],
        "more": notification.more,
    }
    if notification.bulletin is not None:  # a daily bulletin: its figures and documents
        doc["bulletin"] = json.loads(notification.bulletin.model_dump_json())
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


RETRIABLE_STATUS = frozenset({408, 425, 429})


async def post(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str],
               timeout: float, secrets: Iterable[str | None]) -> tuple[int, bytes]:
    """POST `body`; (status, response body) for a 2xx answer, else DeliveryError
    (retriable for 5xx, 408, 425, 429 and network errors; not for other 4xx)."""
    secrets = list(secrets)
    try:
        async with session.post(url, data=body, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout),
                                allow_redirects=False) as resp:
            answer = await resp.read()
            if 200 <= resp.status < 300:
                return resp.status, answer
            retriable = resp.status >= 500 or resp.status in RETRIABLE_STATUS
            raise DeliveryError(f"HTTP {resp.status}: "
                                f"{redact(answer[:200].decode('utf-8', 'replace'), secrets)}",
                                retriable)
    except TimeoutError:
        raise DeliveryError(f"no answer within {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        raise DeliveryError(redact(f"{type(exc).__name__}: {exc}", secrets)) from None
