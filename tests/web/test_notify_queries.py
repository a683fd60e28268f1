"""web.notify_queries on current ClickHouse (chDB) and on the local server (18.16;
marked integration): the delivery log's latest attempt per notification, filters and
paging, and silences with their early ends."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from schemas.delivery import DeliveryAttempt
from schemas.notify_command import NotifyCommand
from schemas.silence import Silence
from sinks.clickhouse.batch import Batch
from sinks.clickhouse.migrate import migrate
from sinks.clickhouse.rows import NOTIFICATIONS, NOTIFY_AUDIT, audit_row, notification_row
from tests.web.test_queries import Server, embedded
from web import notify_queries as q

DB = f"webn_{uuid.uuid4().hex[:8]}"
CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=CST)
S1, S2 = uuid.uuid4().hex, uuid.uuid4().hex


def attempt(nid, n, status, receiver="u1", unit="U1", minutes=0, error=""):
    return DeliveryAttempt(notification_id=nid, attempt=n, status=status, receiver=receiver,
                           receiver_kind="webhook", reason="route:units", unit_id=unit,
                           group_key=f"unit_id={unit}", subjects=["warning/w1"],
                           changes=["new"], more=0, title="t", error=error, latency_ms=5,
                           created_at=T0, attempted_at=T0 + timedelta(minutes=minutes))


@pytest.fixture(scope="module",
                params=["chdb", pytest.param("server", marks=pytest.mark.integration)])
def run(request, tmp_path_factory):
    class ServerDb(Server):
        def close(self):
            self.client.execute(f"DROP DATABASE IF EXISTS {DB}")

    if request.param == "chdb":
        ch = embedded(str(tmp_path_factory.mktemp("chdb")))
    else:
        ch = ServerDb()
        ch.run = ch.execute
    migrate(ch.execute, DB)
    rows = [(NOTIFICATIONS, notification_row(a)) for a in (
        attempt("a" * 32, 1, "retrying", minutes=1, error="HTTP 503"),
        attempt("a" * 32, 2, "sent", minutes=2),
        attempt("b" * 32, 1, "failed", receiver="u2", unit="U2", minutes=3, error="HTTP 400"),
        attempt("c" * 32, 1, "sent", minutes=4))]
    for sid, ends in ((S1, T0 + timedelta(hours=2)), (S2, T0 + timedelta(hours=1))):
        s = Silence(silence_id=sid, unit_id="U1", starts_at=T0, ends_at=ends, reason="检修",
                    created_by="sup01", created_at=T0)
        rows.append((NOTIFY_AUDIT, audit_row(NotifyCommand(
            command="silence", actor_id="sup01", actor_role="supervisor", at=T0, silence=s))))
    rows.append((NOTIFY_AUDIT, audit_row(NotifyCommand(
        command="expire", actor_id="sup02", actor_role="supervisor",
        at=T0 + timedelta(minutes=30), silence_id=S2))))
    batch = Batch(ch, db=DB)
    for _ in range(2):  # written twice: reads collapse the copies
        for i, (table, row) in enumerate(rows):
            batch.add("seed", 0, i, [(table, row)])
        batch.flush()
    yield ch.run
    ch.close()


def params(**kw):
    return {"status": "", "receiver": "", "unit": "", "offset": 0, "limit": 50, **kw}


def test_latest_attempt_per_notification_newest_first(run):
    rows = [dict(zip(q.DELIVERY_COLUMNS, r, strict=True)) for r in run(q.deliveries(DB),
                                                                       params())]
    assert [(r["notification_id"][0], r["status"], r["attempts"]) for r in rows] == [
        ("c", "sent", 1), ("b", "failed", 1), ("a", "sent", 2)]
    assert rows[1]["error"] == "HTTP 400" and rows[1]["receiver"] == "u2"
    assert run(q.deliveries_count(DB), params()) == [(3,)]


def test_filters_and_paging(run):
    assert [r[0][0] for r in run(q.deliveries(DB), params(status="failed"))] == ["b"]
    assert [r[0][0] for r in run(q.deliveries(DB), params(unit="U1", limit=1, offset=1))] == [
        "a"]
    assert run(q.deliveries(DB), params(receiver="x'); DROP TABLE t; --")) == []
    assert run(q.delivery_status(DB), {"nid": "b" * 32}) == [("failed",)]


def test_silences_with_their_early_end(run):
    rows = {r[0]: dict(zip(q.SILENCE_COLUMNS, r, strict=True)) for r in run(q.silences(DB))}
    assert set(rows) == {S1, S2}
    assert rows[S2]["expired_by"] == "sup02" and rows[S1]["expired_by"] == ""
    assert rows[S1]["unit_id"] == "U1" and rows[S1]["reason"] == "检修"
