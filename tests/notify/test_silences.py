"""Silences: matching by rule, unit and case; held items go out when the silence ends."""

import uuid

import pytest
from pydantic import ValidationError

from notify.notifier import Notifier
from notify.silences import silenced
from schemas.silence import Silence
from tests.notify.support import T0, config, seconds, warning


def silence(**fields) -> Silence:
    base = dict(silence_id=uuid.uuid4().hex, starts_at=T0, ends_at=T0 + seconds(3600),
                reason="系统迁移 migration", created_by="sup01", created_at=T0)
    return Silence(**{**base, **fields})


def test_matching_needs_every_named_label():
    s = silence(unit_id="U1", rule_id="r1")
    assert s.covers({"unit_id": "U1", "rule_id": "r1", "case_id": "C"})
    assert not s.covers({"unit_id": "U1", "rule_id": "r2"})
    assert silenced([s], {"unit_id": "U1", "rule_id": "r1"}, T0 + seconds(3600)) is None


@pytest.mark.parametrize("fields", [
    {},  # names nothing
    {"unit_id": "U1", "ends_at": T0},  # ends when it starts
    {"unit_id": "U1", "reason": "   "},
    {"unit_id": "U1", "silence_id": "not-hex"},
    {"unit_id": "U1", "reason": "x" * 501},
])
def test_malformed_silences_are_refused(fields):
    with pytest.raises(ValidationError):
        silence(**fields)


def test_a_silenced_item_is_held_and_sent_when_the_silence_ends():
    n = Notifier(config())
    n.apply_silence(silence(case_id="C1"))
    n.apply(warning("w1", case="C1"), T0)
    n.apply(warning("w2", case="C2"), T0)
    [m] = n.tick(T0 + seconds(30))
    assert [i.key for i in m.items] == ["warning/w2"]
    assert n.tick(T0 + seconds(3000)) == []
    [m] = n.tick(T0 + seconds(3630))
    assert [i.key for i in m.items] == ["warning/w1"]


def test_expiring_a_silence_early_releases_at_the_next_interval():
    n = Notifier(config())
    s = silence(unit_id="U1")
    n.apply_silence(s)
    n.apply(warning("w1"), T0)
    assert n.tick(T0 + seconds(30)) == []
    ended = n.expire_silence(s.silence_id, "sup02", T0 + seconds(60))
    assert ended.expired_by == "sup02" and ended.version == 2
    [m] = n.tick(T0 + seconds(330))
    assert [i.key for i in m.items] == ["warning/w1"]


def test_resolved_while_silenced_and_never_told_sends_nothing():
    n = Notifier(config())
    n.apply_silence(silence(unit_id="U1"))
    n.apply(warning("w1"), T0)
    n.tick(T0 + seconds(30))
    n.apply(warning("w1", status="resolved"), T0 + seconds(60))
    assert n.tick(T0 + seconds(7200)) == []
