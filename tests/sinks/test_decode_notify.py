"""The sink's decoders of the notifier's topics: delivery attempts and staff commands as
rows of `notifications` and `notify_audit`; malformed records refused (dead-lettered)."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from schemas.delivery import DeliveryAttempt
from schemas.notify_command import NotifyCommand
from schemas.silence import Silence
from sinks.clickhouse.rows import AUDIT_COLUMNS, NOTIFICATION_COLUMNS
from sinks.decode import DECODERS

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 5, 1, 12, 0, 0, 600000, tzinfo=CST)


def attempt(**fields) -> DeliveryAttempt:
    base = dict(notification_id="a" * 32, attempt=2, status="sent", receiver="u1",
                receiver_kind="dingtalk", reason="route:units", unit_id="U1",
                group_key="unit_id=U1", subjects=["warning/w1"], changes=["new"], more=0,
                title="【执法监督预警推送】U1", latency_ms=35, created_at=T0, attempted_at=T0)
    return DeliveryAttempt(**{**base, **fields})


def test_a_delivery_attempt_is_a_notifications_row():
    [(table, row)] = DECODERS["notifications"](attempt().model_dump_json().encode(), 7)
    assert table == "notifications" and len(row) == len(NOTIFICATION_COLUMNS)
    d = dict(zip(NOTIFICATION_COLUMNS, row, strict=True))
    assert d["attempt"] == 2 and d["subjects"] == ["warning/w1"]
    assert d["attempted_at"].microsecond == 0


def test_a_silence_command_is_an_audit_row():
    s = Silence(silence_id=uuid.uuid4().hex, unit_id="U1", starts_at=T0,
                ends_at=T0 + timedelta(hours=2), reason="演练 drill", created_by="sup01",
                created_at=T0)
    c = NotifyCommand(command="silence", actor_id="sup01", actor_role="supervisor", at=T0,
                      silence=s)
    [(table, row)] = DECODERS["notify-commands"](c.model_dump_json().encode(), 0)
    d = dict(zip(AUDIT_COLUMNS, row, strict=True))
    assert table == "notify_audit" and d["silence_id"] == s.silence_id
    assert d["unit_id"] == "U1" and d["rule_id"] == "" and d["reason"] == "演练 drill"


@pytest.mark.parametrize("topic, value", [
    ("notifications", b"{}"),
    ("notifications", attempt().model_dump_json().replace('"sent"', '"maybe"').encode()),
    ("notify-commands", b'{"command": "retry", "actor_id": "x", "actor_role": "supervisor",'
                        b' "at": "2026-05-01T12:00:00+08:00"}'),  # retry of what?
    ("notify-commands", b'{"command": "silence", "actor_id": "u1", "actor_role": "unit",'
                        b' "at": "2026-05-01T12:00:00+08:00"}'),
    ("notify-commands", None),
])
def test_malformed_records_are_refused(topic, value):
    with pytest.raises(ValidationError):
        DECODERS[topic](value, 0)
