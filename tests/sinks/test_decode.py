"""sinks.decode: records of the sink's input topics become rows of the right tables."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from schemas.event import InvalidEvent
from sinks.base import Rejected
from sinks.clickhouse.rows import COLUMNS, EVENTS, MEASURE_STATE, WARNING_HISTORY
from sinks.decode import DECODERS, case_rows_message, warning_message
from tests.support.timeline import CaseTimeline

CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def case():
    case = CaseTimeline(start="2026-05-11T10:00:00+08:00", case_id="C-77", person_id="P-3")
    case.add("detained", event_id="ev-1")
    case.add("arrested", hours=30, event_id="ev-2")
    return case


@pytest.fixture(scope="module")
def warning(case):
    return next(w for w in case.evaluate(hours=21) if w.rule_id == "det_family_notice")


@pytest.fixture(scope="module")
def measures(case):
    return {m.measure: m for m in case.result(hours=31).measures}


def event_record(raw: str, **extra) -> bytes:
    record = {"table": "events", "event": raw, "partition": 3, "offset": 42,
              "received_at": "2026-05-11T02:00:05+00:00", **extra}
    return json.dumps(record, ensure_ascii=False).encode()


def case_row_record(record: bytes) -> tuple[str, tuple]:
    """The one row of a case-rows message carrying `record`."""
    (row,) = case_rows_message(b'{"rows": [' + record + b"]}")
    assert not isinstance(row, Rejected), row
    return row


def rejected_record(record: bytes) -> Rejected:
    """What the sink dead-letters of a case-rows message carrying `record` alone."""
    (row,) = case_rows_message(b'{"rows": [' + record + b"]}")
    assert isinstance(row, Rejected), row
    assert json.loads(row.value) == json.loads(record)
    return row


def warning_record(value: bytes | str) -> tuple[str, tuple]:
    (row,) = warning_message(value)
    return row


def measure_record(state, version=5) -> bytes:
    record = {"table": "measure_state", "state": state.model_dump(mode="json"),
              "version": version}
    return json.dumps(record, ensure_ascii=False).encode()


def test_warning_record(warning):
    before = datetime.now(UTC).replace(microsecond=0)
    table, row = warning_record(warning.model_dump_json().encode())
    after = datetime.now(UTC)
    assert table == WARNING_HISTORY
    assert len(row) == len(COLUMNS[WARNING_HISTORY])
    cols = dict(zip(COLUMNS[WARNING_HISTORY], row, strict=True))
    assert cols["warning_id"] == warning.warning_id
    assert (cols["rule_id"], cols["level"], cols["status"]) == (
        "det_family_notice", "approaching", "open")
    assert (cols["case_id"], cols["person_id"], cols["unit_id"]) == ("C-77", "P-3", "U1")
    assert cols["due_at"] == datetime(2026, 5, 12, 10, 0, tzinfo=CST)
    assert cols["changed_at"] == datetime(2026, 5, 12, 6, 0, tzinfo=CST)
    assert cols["evidence"] == ["ev-1"]
    assert cols["calendar_provisional"] == 0
    assert before <= cols["emitted_at"] <= after
    assert cols["emitted_at"].microsecond == 0


def test_warning_record_accepts_str_too(warning):
    table, row = warning_record(warning.model_dump_json())
    assert table == WARNING_HISTORY and row[0] == warning.warning_id


def test_event_record(case):
    raw = case.events[0].model_dump_json()
    table, row = case_row_record(event_record(raw))
    assert table == EVENTS
    assert len(row) == len(COLUMNS[EVENTS])
    cols = dict(zip(COLUMNS[EVENTS], row, strict=True))
    assert (cols["event_id"], cols["event_type"], cols["case_id"], cols["person_id"]) == (
        "ev-1", "detained", "C-77", "P-3")
    assert (cols["kafka_partition"], cols["kafka_offset"]) == (3, 42)
    assert cols["received_at"] == datetime(2026, 5, 11, 2, 0, 5, tzinfo=UTC)
    assert cols["occurred_at"] == datetime(2026, 5, 11, 10, 0, tzinfo=CST)
    assert cols["recorded_at"] is None
    assert cols["body"] == raw  # the message as received, byte for byte


def test_event_record_keeps_the_received_body_verbatim():
    raw = ('{ "event_id":"ev-9", "schema_version":1, "event_type":"case_closed",'
           ' "occurred_at":"2026-05-11T10:00:00+08:00", "case_id":"案-1",'
           ' "case_kind":"administrative", "unit_id":"U1", "details":{"reason":"结案"} }')
    table, row = case_row_record(event_record(raw))
    cols = dict(zip(COLUMNS[EVENTS], row, strict=True))
    assert table == EVENTS
    assert cols["body"] == raw
    assert (cols["case_id"], cols["person_id"], cols["case_kind"]) == ("案-1", "", "administrative")


@pytest.mark.parametrize("measure,active", [("detention", 0), ("arrest", 1)])
def test_measure_record(measures, measure, active):
    state = measures[measure]
    table, row = case_row_record(measure_record(state, version=9))
    assert table == MEASURE_STATE
    assert len(row) == len(COLUMNS[MEASURE_STATE])
    cols = dict(zip(COLUMNS[MEASURE_STATE], row, strict=True))
    assert (cols["case_id"], cols["person_id"], cols["measure"]) == ("C-77", "P-3", measure)
    assert cols["active"] == active
    assert cols["since"] == state.since
    assert cols["until"] == state.until
    assert cols["due_at"] == state.due_at
    assert cols["evidence"] == list(state.evidence)
    assert cols["version"] == 9


def test_detention_ended_by_the_arrest(measures):
    _, row = case_row_record(measure_record(measures["detention"]))
    cols = dict(zip(COLUMNS[MEASURE_STATE], row, strict=True))
    assert cols["until"] == datetime(2026, 5, 12, 16, 0, tzinfo=CST)
    assert cols["evidence"] == ["ev-1", "ev-2"]


BAD_CASE_ROWS = {
    "not json": (b"not json", ValidationError, "Invalid JSON"),
    "truncated json": (b'{"table": "events"', ValidationError, "Invalid JSON"),
    "unknown table": (b'{"table": "nope"}', ValidationError, "'nope'"),
    "no table key": (b'{"event": "{}"}', ValidationError, "table"),
    "event: invalid body": (
        event_record('{"event_id": "e1"}'), InvalidEvent, "event_type"),
    "event: unknown type": (
        event_record('{"event_id": "e1", "event_type": "teleported"}'), InvalidEvent,
        "unknown event type 'teleported'"),
    "event: body not json": (event_record("garbage"), InvalidEvent, None),
    "event: body not a string": (
        b'{"table": "events", "event": {"event_id": "e1"}, "partition": 0, "offset": 1, '
        b'"received_at": "2026-05-11T02:00:05+00:00"}', ValidationError, "event"),
    "event: missing event": (b'{"table": "events", "partition": 0, "offset": 1, '
                             b'"received_at": "2026-05-11T02:00:05+00:00"}', ValidationError,
                             "event"),
    "event: negative offset": (
        event_record('{"event_id": "e1"}', offset=-1), ValidationError, "offset"),
    "event: naive received_at": (
        event_record('{"event_id": "e1"}', received_at="2026-05-11T02:00:05"),
        ValidationError, "received_at"),
    "measure: missing state": (b'{"table": "measure_state", "version": 1}', ValidationError,
                               "state"),
    "measure: invalid state": (
        b'{"table": "measure_state", "state": {"case_id": "C"}, "version": 1}',
        ValidationError, "person_id"),
    "measure: version not a number": (
        b'{"table": "measure_state", "state": {}, "version": "v2"}', ValidationError,
        "version"),
}


@pytest.mark.parametrize("value,error,text", BAD_CASE_ROWS.values(), ids=BAD_CASE_ROWS.keys())
def test_malformed_case_rows_are_rejected(value, error, text):
    if error is ValidationError and text == "Invalid JSON":  # not a row: the message fails
        with pytest.raises(ValidationError, match=text):
            case_rows_message(b'{"rows": [' + value + b"]}")
        return
    reason = rejected_record(value).reason
    assert reason.startswith("sink cannot write row 1 of 1 (")
    if text is not None:
        assert text in reason


@pytest.mark.parametrize("missing", ["partition", "offset", "received_at"])
def test_event_record_missing_key_is_rejected(case, missing):
    record = json.loads(event_record(case.events[0].model_dump_json()))
    del record[missing]
    assert missing in rejected_record(json.dumps(record).encode()).reason


def test_measure_record_missing_version_is_rejected(measures):
    record = json.loads(measure_record(measures["arrest"]))
    del record["version"]
    assert "version" in rejected_record(json.dumps(record).encode()).reason


def test_event_record_bad_received_at_is_rejected(case):
    value = event_record(case.events[0].model_dump_json(), received_at="yesterday")
    assert "received_at" in rejected_record(value).reason


@pytest.mark.parametrize(
    "value",
    [b"not json", b"{}", b'{"warning_id": "w1"}', b"[]"],
    ids=["not json", "empty object", "missing fields", "array"],
)
def test_malformed_warning_records_raise(value):
    with pytest.raises(ValidationError):
        warning_record(value)


def test_warning_record_missing_one_field_names_it(warning):
    data = json.loads(warning.model_dump_json())
    del data["changed_at"]
    with pytest.raises(ValidationError, match="changed_at"):
        warning_record(json.dumps(data).encode())


def test_one_case_rows_message_carries_every_row_of_an_event(case, measures):
    records = [json.loads(event_record(case.events[0].model_dump_json())),
               json.loads(measure_record(measures["detention"], version=2))]
    rows = case_rows_message(json.dumps({"rows": records}).encode())
    assert [table for table, _ in rows] == [EVENTS, MEASURE_STATE]
    assert rows[1][1] == case_row_record(measure_record(measures["detention"], version=2))[1]


@pytest.mark.parametrize(
    "value", [b"{}", b"[]", b"x", b'{"rows": {}}', b'{"rows": [1', None],
    ids=["no rows", "array", "not json", "rows not a list", "cut short", "no value"])
def test_malformed_case_rows_messages_raise(value):
    with pytest.raises(ValidationError):
        case_rows_message(value)


def test_a_message_without_a_value_is_refused_by_every_decoder():
    for decoder in DECODERS.values():
        with pytest.raises(ValidationError):
            decoder(None)


def test_warning_message_is_one_row(warning):
    rows = warning_message(warning.model_dump_json().encode())
    assert [(table, row[0]) for table, row in rows] == [(WARNING_HISTORY, warning.warning_id)]


def test_a_warning_row_carries_its_message_offset(warning):
    """The offset orders a warning's states as they were published (docs/clickhouse.md)."""
    ((_, row),) = warning_message(warning.model_dump_json().encode(), 4242)
    assert dict(zip(COLUMNS[WARNING_HISTORY], row, strict=True))["kafka_offset"] == 4242


# -- one row the sink cannot write never takes the record's other rows with it ---------

def rows_of(value: bytes) -> tuple[list[tuple[str, tuple]], list[Rejected]]:
    out = case_rows_message(value, 7)
    return ([x for x in out if not isinstance(x, Rejected)],
            [x for x in out if isinstance(x, Rejected)])


def test_out_of_range_dates_reject_their_rows_only(case, measures):
    good_event = json.loads(event_record(case.events[0].model_dump_json()))
    arrest = json.loads(measure_record(measures["arrest"], version=3))
    before_1970 = json.loads(measure_record(measures["detention"], version=4))
    before_1970["state"]["since"] = "1969-12-31T23:59:59+08:00"
    after_2106 = json.loads(measure_record(measures["detention"], version=5))
    after_2106["state"]["until"] = "2106-02-07T14:28:16+08:00"  # one second past UInt32
    old_clock = json.loads(event_record(case.events[1].model_dump_json(),
                                        received_at="1900-01-01T00:00:00+00:00"))
    value = json.dumps({"rows": [before_1970, good_event, after_2106, arrest, old_clock]})

    rows, rejected = rows_of(value.encode())

    assert [(table, row[-1]) for table, row in rows] == [(EVENTS, good_event["event"]),
                                                         (MEASURE_STATE, 3)]
    assert [r.reason for r in rejected] == [
        "sink cannot write row 1 of 5 (measure_state): since 1969-12-31T23:59:59+08:00 is "
        "outside ClickHouse's DateTime range (1970-01-01T08:00:00+08:00 to "
        "2106-02-07T14:28:15+08:00)",
        "sink cannot write row 3 of 5 (measure_state): until 2106-02-07T14:28:16+08:00 is "
        "outside ClickHouse's DateTime range (1970-01-01T08:00:00+08:00 to "
        "2106-02-07T14:28:15+08:00)",
        "sink cannot write row 5 of 5 (events): received_at 1900-01-01T00:00:00+00:00 is "
        "outside ClickHouse's DateTime range (1970-01-01T08:00:00+08:00 to "
        "2106-02-07T14:28:15+08:00)"]
    # each rejected row is dead-lettered as itself, byte for byte the JSON it was
    assert [json.loads(r.value) for r in rejected] == [before_1970, after_2106, old_clock]


def test_an_event_outside_the_contract_rejects_its_row_with_the_contract_reason(case):
    body = json.loads(case.events[0].model_dump_json())
    body["occurred_at"] = "1900-01-01T00:00:00+08:00"
    stale = json.loads(event_record(json.dumps(body)))  # published before the contract said so
    good = json.loads(event_record(case.events[1].model_dump_json()))
    rows, rejected = rows_of(json.dumps({"rows": [stale, good]}).encode())
    assert [row[0] for _, row in rows] == ["ev-2"]
    (r,) = rejected
    assert r.reason == (
        "sink cannot write row 1 of 2 (events): detained.occurred_at: "
        "1900-01-01T00:00:00+08:00 is before 1990-01-01T00:00:00+08:00, the earliest time an "
        "event may carry")


@pytest.mark.parametrize("change, field", [
    ({"offset": 2**64}, "offset"), ({"partition": -1}, "partition"),
    ({"table": "nope"}, "table"), ({"received_at": "yesterday"}, "received_at")])
def test_a_malformed_row_is_rejected_alone(case, change, field):
    bad = {**json.loads(event_record(case.events[0].model_dump_json())), **change}
    good = json.loads(event_record(case.events[1].model_dump_json()))
    rows, rejected = rows_of(json.dumps({"rows": [good, bad, good]}).encode())
    assert len(rows) == 2 and len(rejected) == 1
    assert rejected[0].reason.startswith(
        f"sink cannot write row 2 of 3 ({change.get('table', 'events')}): ")
    assert field in rejected[0].reason
    assert json.loads(rejected[0].value) == bad


def test_a_row_that_is_not_an_object_is_rejected_alone(case):
    good = json.loads(event_record(case.events[1].model_dump_json()))
    rows, rejected = rows_of(json.dumps({"rows": [good, 42, "x"]}).encode())
    assert len(rows) == 1
    assert [(r.reason.split(":")[0], r.value) for r in rejected] == [
        ("sink cannot write row 2 of 3 (?)", b"42"), ("sink cannot write row 3 of 3 (?)", b'"x"')]
