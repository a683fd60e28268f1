"""sinks.decode.warning_action_message: one action record -> one warning_actions row."""

from datetime import datetime

import pytest
from pydantic import ValidationError

from schemas.timefmt import CST
from schemas.warning_action import WarningAction
from sinks.clickhouse.rows import ACTION_COLUMNS, COLUMNS, WARNING_ACTIONS
from sinks.decode import warning_action_message
from streams.topics import TOPICS


def test_an_action_becomes_its_row():
    action = WarningAction(warning_id="W1", case_id="C1", unit_id="U1", rule_id="R1",
                           action="rectify", note="已补发通知书", actor_id="u1",
                           actor_role="unit", acted_at="2026-05-01T10:00:00.700+08:00")
    [(table, row)] = warning_action_message(action.model_dump_json().encode())
    assert table == WARNING_ACTIONS and COLUMNS[table] == ACTION_COLUMNS
    data = dict(zip(ACTION_COLUMNS, row, strict=True))
    assert data["action_id"] == action.action_id
    assert (data["action"], data["note"], data["actor_role"]) == ("rectify", "已补发通知书",
                                                                  "unit")
    assert data["acted_at"] == datetime(2026, 5, 1, 10, tzinfo=CST)  # whole seconds
    assert (data["step"], data["kafka_offset"]) == (None, 0)  # written before steps existed


def test_the_step_and_the_offset_are_written():
    action = WarningAction(warning_id="W1", case_id="C1", unit_id="U1", rule_id="R1",
                           action="verify", actor_id="s1", actor_role="supervisor",
                           acted_at="2026-05-01T10:00:00+08:00", step=2)
    [(_, row)] = warning_action_message(action.model_dump_json().encode(), 41)
    data = dict(zip(ACTION_COLUMNS, row, strict=True))
    assert (data["step"], data["kafka_offset"]) == (2, 41)


@pytest.mark.parametrize("value", [b"{}", b"not json", b'{"action": "verify"}'])
def test_malformed_action_records_raise(value):
    with pytest.raises(ValidationError):
        warning_action_message(value)


def test_the_topic_is_created_with_the_others():
    assert "warning-actions" in TOPICS
