"""Sessions held server-side (SQLite, shared by every server process on the host and kept
across restarts): revoked at logout or by an administrator, ended after an idle time, and
long-lived revocable screen tokens for wall displays.

The cookie carries a random token (256 bits); the store keeps only its SHA-256, so a copy
of the file opens no session. A session's CSRF token is an HMAC of its id under the
server secret (`Csrf`).
"""

import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

COOKIE = "casewatch_session"
CSRF_HEADER = "X-CSRF-Token"
TOUCH_EVERY = 30.0  # seconds between writes of a session's last use

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL,
    created REAL NOT NULL, expires REAL NOT NULL, last_seen REAL NOT NULL,
    screen_token TEXT, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE TABLE IF NOT EXISTS screen_tokens (
    name TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE, created REAL NOT NULL,
    expires REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
"""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    id: str  # SHA-256 of the cookie's token
    user_id: str
    role: str
    kind: str  # "login" | "screen"
    expires: float
    last_seen: float


class SessionStore:
    def __init__(self, path: Path, idle_seconds: float, clock: Callable[[], float] = time.time):
        self.path = path
        self.idle = idle_seconds
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=5.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        path.chmod(0o600)

    def close(self) -> None:
        self._db.close()

    def now(self) -> float:
        return self._clock()

    # ------------------------------------------------------------------ sessions

    def create(self, user_id: str, role: str, lifetime: float, kind: str = "login",
               screen_token: str | None = None) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(_digest(token), user_id, role, kind, now + lifetime, now)
        self._db.execute(
            "INSERT INTO sessions (id, user_id, role, kind, created, expires, last_seen, "
            "screen_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (session.id, user_id, role, kind, now, session.expires, now, screen_token))
        self.purge()
        return token, session

    def get(self, token: str | None, touch: bool = True) -> Session | None:
        """The live session of a cookie token: not revoked, not expired, not idle."""
        if not token or len(token) > 100:
            return None
        return self.by_id(_digest(token), touch)

    def by_id(self, session_id: str, touch: bool = False) -> Session | None:
        row = self._db.execute(
            "SELECT id, user_id, role, kind, expires, last_seen FROM sessions "
            "WHERE id = ? AND revoked = 0", (session_id,)).fetchone()
        if row is None:
            return None
        session = Session(*row)
        now = self._clock()
        if session.expires <= now:
            return None
        if session.kind == "login" and now - session.last_seen > self.idle:
            return None
        if touch and now - session.last_seen >= min(TOUCH_EVERY, self.idle / 4):
            self._db.execute("UPDATE sessions SET last_seen = ? WHERE id = ?", (now, session.id))
            session = Session(*row[:5], now)
        return session

    def revoke(self, session_id: str) -> None:
        self._db.execute("UPDATE sessions SET revoked = 1 WHERE id = ?", (session_id,))

    def revoke_user(self, user_id: str) -> int:
        """End every session of a user; the number ended."""
        return self._db.execute("UPDATE sessions SET revoked = 1 WHERE user_id = ? AND "
                                "revoked = 0", (user_id,)).rowcount

    def purge(self) -> None:
        """Forget sessions that can no longer be used."""
        now = self._clock()
        self._db.execute("DELETE FROM sessions WHERE expires <= ? OR revoked = 1 OR "
                         "(kind = 'login' AND last_seen < ?)", (now, now - self.idle))

    # ------------------------------------------------------------------ screen tokens

    def create_screen_token(self, name: str, lifetime: float) -> str:
        token = "scr_" + secrets.token_urlsafe(32)
        now = self._clock()
        self._db.execute("INSERT OR REPLACE INTO screen_tokens (name, token, created, expires, "
                         "revoked) VALUES (?, ?, ?, ?, 0)",
                         (name, _digest(token), now, now + lifetime))
        self._db.execute("UPDATE sessions SET revoked = 1 WHERE screen_token = ?", (name,))
        return token

    def screen_token(self, token: str) -> tuple[str, float] | None:
        """(name, expiry) of a valid screen token."""
        if not token or len(token) > 100:
            return None
        row = self._db.execute("SELECT name, expires FROM screen_tokens WHERE token = ? AND "
                               "revoked = 0", (_digest(token),)).fetchone()
        if row is None or row[1] <= self._clock():
            return None
        return row[0], row[1]

    def revoke_screen_token(self, name: str) -> bool:
        """Revoke a screen token and end the displays' sessions opened with it."""
        found = self._db.execute("UPDATE screen_tokens SET revoked = 1 WHERE name = ?",
                                 (name,)).rowcount
        self._db.execute("UPDATE sessions SET revoked = 1 WHERE screen_token = ?", (name,))
        return found > 0

    def screen_tokens(self) -> list[tuple[str, float, float, bool]]:
        """(name, created, expires, revoked) of every screen token."""
        return [(r[0], r[1], r[2], bool(r[3])) for r in self._db.execute(
            "SELECT name, created, expires, revoked FROM screen_tokens ORDER BY name")]


class Csrf:
    """CSRF tokens bound to one session: HMAC-SHA256 of its id under the server secret."""

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self._key = secret

    def token(self, session: Session) -> str:
        return hmac.new(self._key, b"csrf\0" + session.id.encode(), hashlib.sha256).hexdigest()

    def ok(self, session: Session, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.token(session).encode())
