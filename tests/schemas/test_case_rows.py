"""schemas.case_rows: the case-rows record, exactly as the case agent has always sent it."""

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.case_rows import CaseRows, EventRow, MeasureStateRow
from schemas.measure_state import MeasureState
from schemas.timefmt import CST

STATE = MeasureState(case_id="C1", person_id="P1", unit_id="U1", measure="detention",
                     active=True, since=datetime(2026, 5, 11, 10, tzinfo=CST), until=None,
                     due_at=datetime(2026, 5, 14, 10, tzinfo=CST), evidence=["e1"])
RAW_EVENT = '{"event_id": "e1", "case_id": "案-1"}'


def todays_message() -> dict:
    """What streams/agents/cases.py `publish` builds by hand."""
    return {"rows": [
        {"table": "events", "event": RAW_EVENT, "partition": 2, "offset": 41,
         "received_at": datetime(2026, 5, 11, 2, 0, 5, tzinfo=UTC).isoformat()},
        {"table": "measure_state", "state": STATE.model_dump(mode="json"), "version": 41},
    ]}


def test_todays_message_parses_into_the_tagged_rows():
    message = CaseRows.model_validate_json(json.dumps(todays_message(), ensure_ascii=False))
    event, measure = message.rows
    assert isinstance(event, EventRow) and isinstance(measure, MeasureStateRow)
    assert (event.event, event.partition, event.offset) == (RAW_EVENT, 2, 41)
    assert event.received_at == datetime(2026, 5, 11, 2, 0, 5, tzinfo=UTC)
    assert (measure.state, measure.version) == (STATE, 41)


def test_the_models_write_todays_json_shape():
    message = CaseRows(rows=[
        EventRow(event=RAW_EVENT, partition=2, offset=41,
                 received_at=datetime(2026, 5, 11, 2, 0, 5, tzinfo=UTC)),
        MeasureStateRow(state=STATE, version=41),
    ])
    assert json.loads(message.model_dump_json()) == todays_message()


@pytest.mark.parametrize("row,needle", [
    ({"table": "warnings"}, "'warnings'"),
    ({"event": RAW_EVENT, "partition": 0, "offset": 0,
      "received_at": "2026-05-11T02:00:05+00:00"}, "table"),
    ({"table": "events", "event": RAW_EVENT, "partition": 0, "offset": 0,
      "received_at": "2026-05-11T02:00:05"}, "timezone"),
    ({"table": "measure_state", "state": STATE.model_dump(mode="json"), "version": -1},
     "version"),
    ({"table": "measure_state", "state": {**STATE.model_dump(mode="json"), "measure": "x"},
      "version": 1}, "measure"),
], ids=["unknown table", "no table", "naive time", "negative version", "unknown measure"])
def test_malformed_rows_are_refused(row, needle):
    with pytest.raises(ValidationError, match=needle):
        CaseRows.model_validate({"rows": [row]})
