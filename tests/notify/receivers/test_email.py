"""Email against a local aiosmtpd server with STARTTLS and AUTH: the Chinese subject as
RFC 2047 encoded-words, text and HTML parts, the notification id as Message-ID; a wrong
password and a server that insists on STARTTLS."""

import asyncio
import email
import email.policy
import re

import pytest

from notify.receivers.base import DeliveryError
from notify.receivers.email import Email
from tests.support.receivers import SmtpServer


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.close()


def mailer(smtp, password="s3cret", starttls=True):
    return Email("127.0.0.1", smtp.port, starttls, False, smtp.user, password,
                 "casewatch@bureau.example", ["leader@bureau.example", "centre@bureau.example"],
                 5.0, tls_context=smtp.client_tls())


def test_a_message_over_starttls_with_login(smtp, sample):
    n, r = sample
    asyncio.run(mailer(smtp).send(n, r))
    [(sender, to, raw)] = smtp.messages
    assert sender == "casewatch@bureau.example"
    assert to == ["leader@bureau.example", "centre@bureau.example"]
    subject_raw = re.search(rb"^Subject: (.*?)\r?\n(?! )", raw, re.M | re.S).group(1)
    assert subject_raw.isascii() and b"=?utf-8?" in subject_raw.lower()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == r.title and "执法监督" in msg["Subject"]
    assert msg["Message-ID"] == f"<{n.notification_id}@casewatch>"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert text == r.text + "\n" and "拘留后应在24小时内通知家属" in html


def test_a_wrong_password_is_a_permanent_failure_without_the_password(smtp, sample):
    with pytest.raises(DeliveryError) as err:
        asyncio.run(mailer(smtp, password="wrong-pw").send(*sample))
    assert not err.value.retriable and "535" in str(err.value)
    assert "wrong-pw" not in str(err.value)
    assert smtp.messages == []


def test_without_starttls_the_server_refuses(smtp, sample):
    with pytest.raises(DeliveryError):
        asyncio.run(mailer(smtp, starttls=False).send(*sample))
    assert smtp.messages == []
