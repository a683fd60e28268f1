"""web.settings: CASEWATCH_WEB_* variables."""

import pytest
from pydantic import ValidationError

from web.settings import WebSettings


def test_from_env():
    s = WebSettings.from_env({"CASEWATCH_WEB_PORT": "18100", "CASEWATCH_WEB_SECRET": "k" * 32,
                              "CASEWATCH_WEB_SECURE_COOKIE": "true", "OTHER": "x"})
    assert (s.port, s.secure_cookie, s.session_key()) == (18100, True, b"k" * 32)
    assert "k" * 32 not in repr(s)


def test_without_a_secret_each_process_makes_its_own():
    s = WebSettings.from_env({})
    assert s.secret is None and len(s.session_key()) >= 32


@pytest.mark.parametrize("name, value", [("PORT", "http"), ("PORT", "70000"),
                                         ("RING_SIZE", "5"), ("LOGIN_FAILURES", "0")])
def test_malformed_values_are_refused(name, value):
    with pytest.raises(ValidationError):
        WebSettings.from_env({f"CASEWATCH_WEB_{name}": value})
