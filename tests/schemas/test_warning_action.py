"""schemas.warning_action: the contract of the warning-actions topic."""

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.warning_action import Action, ActorRole, WarningAction

BASE = dict(warning_id="W1", case_id="C1", unit_id="U3301", rule_id="det_family_notice",
            actor_id="u3301", actor_role="unit", acted_at="2026-05-01T10:00:00+08:00")


def test_round_trip_with_defaults():
    a = WarningAction(action="acknowledge", **BASE)
    data = json.loads(a.model_dump_json())
    assert data["schema_version"] == 1
    assert len(data["action_id"]) == 32 and int(data["action_id"], 16) >= 0
    assert data["acted_at"] == "2026-05-01T10:00:00+08:00"
    assert (data["action"], data["actor_role"], data["note"]) == ("acknowledge", "unit", "")
    assert WarningAction.model_validate_json(a.model_dump_json()) == a


def test_action_ids_are_unique():
    assert len({WarningAction(action="acknowledge", **BASE).action_id for _ in range(50)}) == 50


def test_return_is_the_wire_name_of_send_back():
    a = WarningAction(action="return", note="不实", **{**BASE, "actor_role": "supervisor"})
    assert a.action is Action.send_back and a.actor_role is ActorRole.supervisor


def test_acted_at_in_another_offset_is_printed_in_china_time():
    a = WarningAction(action="acknowledge", **{**BASE, "acted_at": datetime(2026, 5, 1, 2,
                                                                            tzinfo=UTC)})
    assert json.loads(a.model_dump_json())["acted_at"] == "2026-05-01T10:00:00+08:00"


@pytest.mark.parametrize("change, needle", [
    ({"action": "rectify"}, "needs a note"),
    ({"action": "return", "note": "   "}, "needs a note"),
    ({"action": "approve"}, "action"),
    ({"actor_role": "screen"}, "actor_role"),
    ({"acted_at": "2026-05-01T10:00:00"}, "timezone"),
    ({"warning_id": ""}, "warning_id"),
    ({"action_id": "not-hex"}, "action_id"),
    ({"schema_version": 2}, "schema_version"),
    ({"actor_name": "张三"}, "actor_name"),
])
def test_malformed_actions_are_refused(change, needle):
    with pytest.raises(ValidationError, match=needle):
        WarningAction.model_validate({"action": "acknowledge", **BASE, **change})


def test_malformed_json_is_refused():
    with pytest.raises(ValidationError):
        WarningAction.model_validate_json(b"{not json")
