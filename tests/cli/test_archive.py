"""cli.archive: the event archive query, on current ClickHouse (chDB) and on the local
server (18.16; marked integration): every case with its events by an instant, in case
order, each message as received."""

import json
import uuid
from datetime import datetime

import pytest
from clickhouse_driver.util.escape import escape_params

from cli.archive import archive_query, by_case
from schemas.event import parse_event
from sinks.clickhouse.migrate import migrate
from sinks.clickhouse.rows import EVENT_COLUMNS, EVENTS, event_row

DB = f"archive_{uuid.uuid4().hex[:8]}"
UNTIL = datetime.fromisoformat("2026-05-03T00:00:00+08:00")


def message(event_id, case_id, at, event_type="detained"):
    return json.dumps({"event_id": event_id, "schema_version": 1, "event_type": event_type,
                       "occurred_at": at, "case_id": case_id, "case_kind": "criminal",
                       "person_id": "P1", "unit_id": "U3301", "note": "王 O'Brien \\"},
                      ensure_ascii=False, separators=(", ", ": "))


MESSAGES = [
    message("b-1", "B", "2026-05-01T10:00:00+08:00"),
    message("a-2", "A", "2026-05-02T10:00:00+08:00", "interrogated"),
    message("a-1", "A", "2026-05-01T10:00:00+08:00"),
    message("a-3", "A", "2026-05-03T00:00:01+08:00", "released"),  # after UNTIL
    message("é-1", "Cé", "2026-05-02T23:59:59+08:00"),
    message("z-1", "Z", "2026-06-01T10:00:00+08:00"),  # only after UNTIL
]


@pytest.fixture(scope="module",
                params=["chdb", pytest.param("server", marks=pytest.mark.integration)])
def rows(request, tmp_path_factory):
    if request.param == "chdb":
        pytest.importorskip("chdb")
        from sinks.clickhouse.embedded import Embedded

        ch = Embedded(str(tmp_path_factory.mktemp("chdb")))
        query = ch.execute
    else:
        from clickhouse_driver import Client

        ch = Client("127.0.0.1", port=9000)
        query = ch.execute
    migrate(query, DB)
    received = datetime.fromisoformat("2026-06-02T00:00:00+08:00")
    rows = [event_row(parse_event(m), partition=0, offset=i, received_at=received, body=m)
            for i, m in enumerate(MESSAGES)]
    if request.param == "chdb":
        ch.insert(f"{DB}.{EVENTS}", EVENT_COLUMNS, rows)
    else:
        ch.execute(f"INSERT INTO {DB}.{EVENTS} ({', '.join(EVENT_COLUMNS)}) VALUES", rows)
    sql, params = archive_query(DB, UNTIL)
    yield [tuple(r) for r in query(sql % escape_params(params, None))]
    if request.param == "chdb":
        ch.close()
    else:
        ch.execute(f"DROP DATABASE IF EXISTS {DB}")


def test_cases_in_order_with_their_events_by_the_instant(rows):
    cases = list(by_case(iter(rows)))
    assert [c for c, _ in cases] == ["A", "B", "Cé"]
    assert [(e, t) for e, t, _ in cases[0][1]] == [("a-1", "detained"), ("a-2", "interrogated")]
    assert cases[0][1][1][2] == MESSAGES[1]  # the message exactly as received
    assert [e for e, _, _ in cases[2][1]] == ["é-1"]


def test_a_bad_database_name_is_refused():
    with pytest.raises(ValueError):
        archive_query("casewatch; DROP TABLE x", UNTIL)
