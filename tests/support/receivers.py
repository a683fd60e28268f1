"""Local stand-ins for the notifier's receivers, each in a thread of its own so that a
test (sync or async) or a notifier subprocess can talk to them: an HTTP receiver that
records every request byte for byte (webhook, DingTalk and WeCom robots) and can be taken
down and brought back on the same port, and an SMTP server (aiosmtpd) with STARTTLS and
AUTH that records every message as received."""

import asyncio
import json
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.ports import free_port


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.monotonic)  # answered, monotonic clock

    def json(self):
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Answers every POST with `answer` (JSON) and status `status`, after `delay` s."""

    answer: dict = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    status: int = 200
    delay: float = 0.0
    port: int = field(default_factory=free_port)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner = None
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        self.requests.append(Request(request.path, dict(request.query),
                                     dict(request.headers), body))
        return web.json_response(self.answer, status=self.status)

    async def _start(self):
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()

    async def _stop(self):
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def up(self) -> None:
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def down(self) -> None:
        """Stop listening: connections are refused until `up()`."""
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)

    def close(self) -> None:
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 (openssl), for the SMTP server's STARTTLS."""
    cert, key = directory / "smtp.pem", directory / "smtp.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class _Mailbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.original_content))
        return "250 OK"


class SmtpServer:
    """aiosmtpd with STARTTLS required before AUTH, and one user."""

    def __init__(self, directory: Path, user: str = "casewatch", password: str = "s3cret"):
        cert, key = self_signed(directory)
        self.cert = cert
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.mailbox = _Mailbox()
        self.port = free_port()
        self.user, self.password = user, password

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
                  and auth_data.password == password.encode())
            return AuthResult(success=ok, handled=False)  # False: the server answers 535

        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, tls_context=context,
            require_starttls=True, auth_require_tls=True, authenticator=authenticate,
            auth_required=True)
        self.controller.start()

    @property
    def messages(self):
        return self.mailbox.messages

    def client_tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def close(self) -> None:
        self.controller.stop()
