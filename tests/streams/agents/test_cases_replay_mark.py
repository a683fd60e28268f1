"""Re-published records carry a replay mark that the case agent recognises."""

from types import SimpleNamespace

import pytest

from streams.agents.cases import is_replay
from streams.agents.healer import REPLAY_HEADER


@pytest.mark.parametrize("headers, expected", [
    (REPLAY_HEADER, True),
    (list(REPLAY_HEADER.items()), True),
    ({}, False),
    (None, False),
    ([("other", b"1")], False),
], ids=["dict", "list of pairs", "empty", "none", "another header"])
def test_replay_mark(headers, expected):
    assert is_replay(SimpleNamespace(headers=headers)) is expected
