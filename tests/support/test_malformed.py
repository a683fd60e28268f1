"""The fault test counts on every malformed message being invalid: check each kind."""

from collections import Counter
from random import Random

import pytest

from schemas.event import parse_event
from tests.support.malformed import HUGE, KINDS, MiB, malformed_messages


def accepted(key: bytes | None, value: bytes) -> bool:
    """Would the worker take this message as a valid event (valid body, key = case_id)?"""
    try:
        event = parse_event(value)
    except Exception:  # noqa: BLE001  any rejection counts
        return False
    return key is not None and key.decode() == event.case_id


def test_no_malformed_message_passes_for_a_valid_event():
    messages = list(malformed_messages(600, Random(3)))
    assert len(messages) == 600
    assert [m for m in messages if accepted(*m)] == []


def test_every_kind_is_present_and_some_bodies_are_2_mib():
    messages = list(malformed_messages(len(KINDS) * 20, Random(4)))
    sizes = Counter(len(value) > 2 * MiB for _, value in messages)
    assert sizes[True] == HUGE
    assert any(key is None for key, _ in messages)
    assert any(value == b"" or not value.startswith(b"{") for _, value in messages)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_each_kind_alone_is_rejected(kind):
    rng = Random(5)
    assert not any(accepted(*kind(rng, i)) for i in range(200))
