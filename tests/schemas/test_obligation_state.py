"""schemas.obligation_state on the case-rows topic: the row the worker publishes for every
obligation, and the row the sink makes of it for ClickHouse `obligations`."""

import json
from datetime import datetime

import pytest
from pydantic import ValidationError

from schemas.case_rows import CaseRows, ObligationStateRow
from schemas.obligation_state import ObligationState
from schemas.timefmt import CST
from sinks.base import Rejected
from sinks.clickhouse.rows import OBLIGATION_COLUMNS, OBLIGATIONS
from sinks.decode import case_rows_message

STATE = ObligationState(
    obligation_id="W1", rule_id="det_family_notice", rule_kind="statutory", case_id="C1",
    person_id=None, unit_id="U1", trigger_event_id="e1",
    triggered_at=datetime(2026, 1, 4, 9, 30, 15, 7, tzinfo=CST),
    due_at=datetime(2026, 1, 5, 9, 30, 15, tzinfo=CST), status="resolved", late=False,
    resolved_at=datetime(2026, 1, 4, 20, tzinfo=CST), extensions=1, level=None,
    changed_at=datetime(2026, 1, 4, 20, tzinfo=CST))


def message(state: dict, version=9) -> bytes:
    return json.dumps({"rows": [{"table": "obligation_state", "state": state,
                                 "version": version}]}).encode()


def test_an_obligation_never_warned_becomes_a_row_of_obligations():
    ((table, row),) = case_rows_message(message(STATE.model_dump(mode="json")))
    assert table == OBLIGATIONS
    named = dict(zip(OBLIGATION_COLUMNS, row, strict=True))
    assert named["obligation_id"] == "W1" and named["person_id"] == ""
    assert named["triggered_at"] == datetime(2026, 1, 4, 9, 30, 15, tzinfo=CST)  # whole seconds
    assert (named["status"], named["late"], named["level"]) == ("resolved", 0, "")
    assert (named["extensions"], named["version"]) == (1, 9)


def test_the_row_round_trips_through_json():
    whole = STATE.model_copy(update={"triggered_at": STATE.triggered_at.replace(microsecond=0)})
    row = ObligationStateRow(state=whole, version=3)
    assert CaseRows.model_validate_json(CaseRows(rows=[row]).model_dump_json()).rows == [row]


@pytest.mark.parametrize("change,needle", [
    ({"status": "closed"}, "status"),
    ({"level": "violation2"}, "level"),
    ({"rule_kind": "system"}, "rule_kind"),
    ({"due_at": "2026-01-05T09:30:15"}, "timezone"),
    ({"extensions": -1}, "extensions"),
    ({"obligation_id": ""}, "obligation_id"),
], ids=["status", "level", "kind", "naive due", "extensions", "empty id"])
def test_malformed_obligation_states_are_refused_alone(change, needle):
    state = {**STATE.model_dump(mode="json"), **change}
    (rejected,) = case_rows_message(message(state))  # the sink dead-letters this row alone
    assert isinstance(rejected, Rejected)
    assert "sink cannot write row 1 of 1 (obligation_state)" in rejected.reason
    assert needle in rejected.reason


def test_a_missing_version_is_refused():
    with pytest.raises(ValidationError, match="version"):
        CaseRows.model_validate({"rows": [{"table": "obligation_state",
                                           "state": STATE.model_dump(mode="json")}]})
