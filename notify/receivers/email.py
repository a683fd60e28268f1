"""Email over SMTP (aiosmtplib): STARTTLS or implicit TLS, optional login; a
multipart/alternative message, plain text and HTML, UTF-8. The Chinese subject is
encoded as RFC 2047 encoded-words by the standard library's SMTP policy; the Message-ID
is the notification id, so a copy sent twice is recognisably the same message."""

from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from notify.notification import Notification
from notify.receivers.base import DeliveryError, redact
from notify.render import Rendered


def message(notification: Notification, rendered: Rendered, sender: str,
            to: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = rendered.title
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(notification.created_at)
    msg["Message-ID"] = f"<{notification.notification_id}@casewatch>"
    msg["X-Casewatch-Notification-Id"] = notification.notification_id
    msg.set_content(rendered.text, charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg


class Email:
    kind = "email"

    def __init__(self, host: str, port: int, starttls: bool, tls: bool, username: str | None,
                 password: str | None, sender: str, to: list[str], timeout: float,
                 tls_context=None):
        self.host, self.port, self.starttls, self.tls = host, port, starttls, tls
        self.username, self.password = username, password
        self.sender, self.to, self.timeout = sender, list(to), timeout
        self.tls_context = tls_context  # tests trust their own certificate

    async def send(self, notification: Notification, rendered: Rendered) -> None:
        msg = message(notification, rendered, self.sender, self.to)
        try:
            errors, _ = await aiosmtplib.send(
                msg, hostname=self.host, port=self.port, start_tls=self.starttls,
                use_tls=self.tls, username=self.username, password=self.password,
                timeout=self.timeout, tls_context=self.tls_context)
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(redact(f"SMTP {exc.code}: {exc.message}", [self.password]),
                                retriable=exc.code >= 400 and exc.code < 500) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(redact(f"{type(exc).__name__}: {exc}", [self.password])) from None
        if errors:
            raise DeliveryError(f"refused recipients: {sorted(errors)}", retriable=False)
