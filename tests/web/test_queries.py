"""web.queries over the sinks' fixed scenario plus actions, on current ClickHouse (chDB)
and on the local ClickHouse server (18.16; marked integration)."""

import uuid

import pytest
from clickhouse_driver import Client
from clickhouse_driver.util.escape import escape_params

from schemas.access_record import AccessRecord
from schemas.warning_action import WarningAction
from sinks.clickhouse.batch import Batch
from sinks.clickhouse.migrate import migrate
from sinks.clickhouse.rows import ACCESS_LOG, WARNING_ACTIONS, access_row, action_row
from tests.support.clickhouse_scenario import CATALOGUE_VERSION, scenario_rows
from web import queries
from web.feed import item_from_row

DB = f"web_{uuid.uuid4().hex[:8]}"


class Server:
    """The local ClickHouse server with the two calls Batch and migrate need."""

    def __init__(self):
        self.client = Client("127.0.0.1", port=9000)

    def execute(self, sql, params=None):
        return self.client.execute(sql, params or {})

    def insert(self, table, columns, rows):
        self.client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", rows,
                            types_check=True)

    def close(self):
        self.client.execute(f"DROP DATABASE IF EXISTS {DB}")
        self.client.disconnect()


def embedded(path):
    pytest.importorskip("chdb")
    from sinks.clickhouse.embedded import Embedded

    ch = Embedded(path)
    ch.run = lambda sql, params=None: ch.execute(sql % escape_params(params or {}, None))
    return ch


@pytest.fixture(scope="module",
                params=["chdb", pytest.param("server", marks=pytest.mark.integration)])
def run(request, tmp_path_factory):
    if request.param == "chdb":
        ch = embedded(str(tmp_path_factory.mktemp("chdb")))
    else:
        ch = Server()
        ch.run = ch.execute
    migrate(ch.execute, DB)
    batch = Batch(ch, db=DB)
    rows = scenario_rows()
    for minute, kind, note in ((10, "acknowledge", ""), (5, "rectify", "已通知")):
        a = WarningAction(warning_id="W3", case_id="C1", unit_id="U2", rule_id="R2",
                          action=kind, note=note, actor_id="u2", actor_role="unit",
                          acted_at=f"2024-03-01T12:{minute:02d}:00+08:00")
        rows.append((WARNING_ACTIONS, action_row(a), 3, len(rows)))
    for actor, action, target, person in (("u2", "read_warning", "W3", "P9"),
                                          ("sup", "export", "csv?view=verify", "")):
        record = AccessRecord(at="2024-03-01T12:00:00+08:00", actor_id=actor,
                              actor_role="unit", address="192.0.2.1", action=action,
                              target=target, person_id=person)
        rows.append((ACCESS_LOG, access_row(record), 4, len(rows)))
    for _ in range(2):  # written twice: reads collapse the copies
        for table, row, partition, offset in rows:
            batch.add("seed", partition, offset, [(table, row)])
        batch.flush()
    yield ch.run
    ch.close()


def test_open_snapshot_has_the_latest_open_states(run):
    items = sorted((item_from_row(r) for r in run(queries.open_snapshot(DB))),
                   key=lambda i: i.id)
    assert [(i.id, i.level, i.unit_id) for i in items] == [
        ("W1", "overdue", "U1"), ("W3", "violation", "U2")]
    w1 = items[0]
    assert w1.changed_at == "2024-03-01T10:40:00+08:00" and w1.evidence == ("e1",)
    assert w1.due_at == "2024-03-01T11:00:00+08:00" and w1.person_id == "P1"


def test_latest_of_a_resolved_warning(run):
    [row] = run(queries.latest_of(DB), {"wid": "W2"})
    assert item_from_row(row).status == "resolved"
    assert run(queries.latest_of(DB), {"wid": "nope'); DROP"}) == []


def test_timeline_lists_each_state_once(run):
    rows = run(queries.timeline(DB), {"wid": "W1"})
    assert [(r[1], r[2]) for r in rows] == [("approaching", "open"), ("overdue", "open")]
    assert {r[6] for r in rows} == {CATALOGUE_VERSION}


def test_evidence_events(run):
    rows = run(queries.evidence_events(DB), {"case": "C1", "ids": ("e1", "e3")})
    assert [(r[0], r[1]) for r in rows] == [("e1", "summons_started"), ("e3", "detained")]


def test_person_measures_current_first(run):
    rows = run(queries.person_measures(DB), {"case": "C1", "person": "P1"})
    assert [(r[0], int(r[1])) for r in rows] == [("summons", 0)]


@pytest.mark.parametrize("sort", sorted(queries.MEASURE_SORTS))
def test_measure_board_filters_and_pages(run, sort):
    params = {"units": ("U1",), "measure": "bail", "limit": 10, "offset": 0}
    rows = run(queries.measure_board(DB, True, True, sort), params)
    assert [(r[0], r[1], r[2]) for r in rows] == [("C3", "P3", "bail")]
    all_rows = run(queries.measure_board(DB, False, False, sort), {"limit": 1, "offset": 1})
    assert len(all_rows) == 1
    [(count,)] = run(queries.measure_board_count(DB, False, False), {})
    assert int(count) == 2


def test_measure_counts_and_new_per_hour(run):
    assert [(r[0], int(r[1])) for r in run(queries.measure_counts(DB))] == [
        ("bail", 1), ("detention", 1)]
    rows = run(queries.new_per_hour(DB), {"since": 0})
    assert sorted((str(r[1]), int(r[2])) for r in rows) == [("U1", 2), ("U2", 1)]
    rows = run(queries.new_per_hour(DB, True), {"since": 0, "units": ("U2",)})
    assert [(str(r[1]), int(r[2])) for r in rows] == [("U2", 1)]
    assert run(queries.measure_counts(DB, True), {"units": ("U9",)}) == []


def test_search_closed_by_case_or_person_prefix(run):
    rows = run(queries.search_closed(DB, False), {"q": "C1", "units": (), "limit": 10})
    assert sorted(item_from_row(r).id for r in rows) == ["W1", "W2", "W3"]
    rows = run(queries.search_closed(DB, True), {"q": "P1", "units": ("U1",), "limit": 10})
    assert sorted(item_from_row(r).id for r in rows) == ["W1", "W2"]
    assert run(queries.search_closed(DB, False), {"q": "%", "units": (), "limit": 10}) == []


def test_audit_pages_with_filters(run):
    filters = ["actor", "action", "since"]
    params = {"actor": "u2", "action": "read_warning", "since": 0, "limit": 10, "offset": 0}
    rows = run(queries.audit_page(DB, filters), params)
    assert [(r[1], r[4], r[5]) for r in rows] == [("u2", "read_warning", "W3")]
    [(count,)] = run(queries.audit_count(DB, ["target"]), {"target": "P9"})
    assert int(count) == 1


def test_actions_written_twice_count_once(run):
    rows = run(f"SELECT action, note FROM {DB}.warning_actions FINAL ORDER BY acted_at")
    assert [tuple(r) for r in rows] == [("rectify", "已通知"), ("acknowledge", "")]


def test_retention_drops_whole_expired_months(run):  # last: it empties access_log
    from datetime import date

    from web import retention

    assert retention.apply(run, DB, 365, date(2024, 12, 31)) == []
    assert retention.apply(run, DB, 180, date(2024, 12, 31)) == ["202403"]
    assert run(f"SELECT count() FROM {DB}.access_log")[0][0] == 0
