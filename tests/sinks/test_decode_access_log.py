"""sinks.decode.access_log_message: one access record -> one access_log row."""

from datetime import datetime

import pytest
from pydantic import ValidationError

from schemas.access_record import AccessRecord
from schemas.timefmt import CST
from sinks.clickhouse.rows import ACCESS_COLUMNS, ACCESS_LOG, COLUMNS
from sinks.decode import DECODERS, access_log_message
from streams.topics import TOPICS


def test_a_record_becomes_its_row():
    record = AccessRecord(at="2026-05-01T10:00:00.700+08:00", actor_id="u1",
                          actor_role="unit", address="192.0.2.7", action="read_warning",
                          target="W1", case_id="C1", person_id="P1", unit_id="U3301", rows=1)
    [(table, row)] = access_log_message(record.model_dump_json().encode())
    assert table == ACCESS_LOG and COLUMNS[table] == ACCESS_COLUMNS
    data = dict(zip(ACCESS_COLUMNS, row, strict=True))
    assert data["access_id"] == record.access_id and data["at"] == datetime(
        2026, 5, 1, 10, tzinfo=CST)
    assert (data["actor_id"], data["action"], data["person_id"]) == ("u1", "read_warning", "P1")


@pytest.mark.parametrize("value", [
    b"{}", b"not json", None,
    b'{"at": "2026-05-01T10:00:00+08:00", "actor_id": "u", "address": "a", "action": "drop"}',
    b'{"at": "2026-05-01T10:00:00", "actor_id": "u", "address": "a", "action": "login"}',
    b'{"at": "2026-05-01T10:00:00+08:00", "actor_id": "u", "address": "a", "action": "login",'
    b' "password": "x"}',
])
def test_malformed_access_records_raise(value):
    with pytest.raises(ValidationError):
        access_log_message(value)


def test_the_topic_is_created_and_read_by_the_sink():
    assert "access-log" in TOPICS and "access-log" in DECODERS
