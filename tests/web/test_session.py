"""web.session: signed cookies and CSRF tokens."""

import time

import pytest

from web.session import Signer

SIGNER = Signer(b"0123456789abcdef0123")


def test_issue_and_read():
    cookie, session = SIGNER.issue("u1", 60)
    assert SIGNER.read(cookie) == session and session.user_id == "u1"


def test_expired_cookie_is_refused():
    cookie, _ = SIGNER.issue("u1", -1)
    assert SIGNER.read(cookie) is None


def test_cookie_of_another_secret_is_refused():
    cookie, _ = Signer(b"another-secret-of-20").issue("u1", 60)
    assert SIGNER.read(cookie) is None


@pytest.mark.parametrize("mangle", [
    lambda c: c.replace(".", ".x", 1),
    lambda c: "A" + c,
    lambda c: c.split(".")[0],
    lambda c: c + ".extra",
    lambda c: "",
    lambda c: "%%%.%%%",
])
def test_tampered_cookies_are_refused(mangle):
    cookie, _ = SIGNER.issue("u1", 60)
    assert SIGNER.read(mangle(cookie)) is None


def test_a_forged_user_id_is_refused():
    import base64
    import json
    cookie, _ = SIGNER.issue("u1", 60)
    body, sig = cookie.split(".")
    payload = json.dumps({"u": "sup01", "e": time.time() + 60, "n": "x"}).encode()
    forged = base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + "." + sig
    assert SIGNER.read(forged) is None


def test_csrf_token_is_bound_to_the_session():
    _, one = SIGNER.issue("u1", 60)
    _, two = SIGNER.issue("u1", 60)
    assert SIGNER.csrf_ok(one, SIGNER.csrf_token(one))
    assert not SIGNER.csrf_ok(one, SIGNER.csrf_token(two))
    assert not SIGNER.csrf_ok(one, None) and not SIGNER.csrf_ok(one, "")


def test_short_secret_is_refused():
    with pytest.raises(ValueError):
        Signer(b"short")
