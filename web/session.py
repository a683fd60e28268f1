"""Signed session cookies and the CSRF token bound to each session (HMAC-SHA256).

Cookie value: base64url(JSON {"u": user id, "e": expiry epoch, "n": nonce}) "." signature.
The CSRF token is an HMAC of the session nonce under a separate label, so it is valid for
one session only and cannot be derived without the secret.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE = "casewatch_session"
CSRF_HEADER = "X-CSRF-Token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    user_id: str
    expires: float
    nonce: str


class Signer:
    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self._key = secret

    def _mac(self, label: bytes, payload: bytes) -> bytes:
        return hmac.new(self._key, label + b"\0" + payload, hashlib.sha256).digest()

    def issue(self, user_id: str, lifetime_seconds: float) -> tuple[str, Session]:
        session = Session(user_id, time.time() + lifetime_seconds, secrets.token_urlsafe(16))
        payload = json.dumps({"u": session.user_id, "e": session.expires,
                              "n": session.nonce}).encode()
        return f"{_b64(payload)}.{_b64(self._mac(b'session', payload))}", session

    def read(self, cookie: str | None) -> Session | None:
        """The session of a valid, unexpired cookie; None for anything else."""
        if not cookie or cookie.count(".") != 1:
            return None
        body, signature = cookie.split(".")
        try:
            payload, mac = _unb64(body), _unb64(signature)
        except ValueError:
            return None
        if not hmac.compare_digest(mac, self._mac(b"session", payload)):
            return None
        try:
            data = json.loads(payload)
            session = Session(str(data["u"]), float(data["e"]), str(data["n"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > time.time() else None

    def csrf_token(self, session: Session) -> str:
        return _b64(self._mac(b"csrf", session.nonce.encode()))

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token, self.csrf_token(session))
