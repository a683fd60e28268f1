"""web.sessions: server-side sessions, revocation, idle time, screen tokens, CSRF."""

import pytest

from web.sessions import Csrf, SessionStore


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def store(tmp_path):
    clock = Clock()
    s = SessionStore(tmp_path / "s.sqlite3", idle_seconds=600, clock=clock)
    s.clock = clock
    yield s
    s.close()


def test_create_read_and_revoke(store):
    token, session = store.create("u1", "unit", 3600)
    assert store.get(token) == session
    assert store.get(token + "x") is None and store.get(None) is None
    assert store.get("x" * 5000) is None
    store.revoke(session.id)
    assert store.get(token) is None


def test_only_a_hash_of_the_token_is_stored(store, tmp_path):
    token, _ = store.create("u1", "unit", 3600)
    assert token.encode() not in (tmp_path / "s.sqlite3").read_bytes()


def test_expiry_and_idle_time(store):
    token, _ = store.create("u1", "unit", 3600)
    store.clock.now += 500
    assert store.get(token) is not None  # touched: idle time starts again
    store.clock.now += 500
    assert store.get(token) is not None
    store.clock.now += 601
    assert store.get(token) is None
    short, _ = store.create("u1", "unit", 10)
    store.clock.now += 11
    assert store.get(short) is None


def test_a_second_process_sees_a_revocation(store, tmp_path):
    token, _ = store.create("u1", "unit", 3600)
    other = SessionStore(tmp_path / "s.sqlite3", idle_seconds=600, clock=store.clock)
    assert other.get(token) is not None
    assert other.revoke_user("u1") == 1
    assert store.get(token) is None
    other.close()


def test_screen_tokens_live_long_and_are_revocable(store):
    token = store.create_screen_token("hall-1", 365 * 86400)
    name, expires = store.screen_token(token)
    assert name == "hall-1" and expires > store.clock.now + 300 * 86400
    cookie, _ = store.create("screen:hall-1", "screen", expires - store.clock.now,
                             kind="screen", screen_token="hall-1")
    store.clock.now += 30 * 86400  # idle for a month: a wall display stays logged in
    assert store.get(cookie) is not None
    assert store.revoke_screen_token("hall-1")
    assert store.get(cookie) is None and store.screen_token(token) is None
    assert not store.revoke_screen_token("nope")
    assert store.screen_token("scr_forged") is None


def test_csrf_token_is_bound_to_the_session(store):
    csrf = Csrf(b"0123456789abcdef0123")
    _, one = store.create("u1", "unit", 60)
    _, two = store.create("u1", "unit", 60)
    assert csrf.ok(one, csrf.token(one))
    assert not csrf.ok(one, csrf.token(two)) and not csrf.ok(one, "")
    with pytest.raises(ValueError):
        Csrf(b"short")
