"""report/bulletin.py (sinks/clickhouse/bulletin.py) over the seeded dataset on chDB and on
the 18.16 server (integration): the daily bulletin's figures equal the hand-computed ones."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from report.bulletin import build_bulletin
from report.day import Day, DayError
from report.paper import NoData
from report.render import bulletin_stem, render_bulletin
from schemas.timefmt import CST
from tests.support.databases import on_chdb, on_server
from tests.support.quality_seed import seed

NOW = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def chdb_db(tmp_path_factory) -> Iterator[tuple]:
    with on_chdb(tmp_path_factory.mktemp("chdb-bulletin")) as embedded:
        seed(embedded, embedded.execute, "bulletin")
        yield embedded.execute, "bulletin"


@pytest.fixture(scope="module")
def server_db() -> Iterator[tuple]:
    with on_server("casewatch_bulletin") as (ch, [db]):
        seed(ch, ch.execute, db)
        yield ch.execute, db


@pytest.fixture(params=[pytest.param("server_db", id="clickhouse-18.16",
                                     marks=pytest.mark.integration),
                        pytest.param("chdb_db", id="chdb")])
def db(request):
    return request.getfixturevalue(request.param)


def bulletin(db, day: str, unit=None, now=NOW):
    execute, name = db
    return build_bulletin(execute, name, Day.parse(day), now=now, unit=unit)


def rows(b) -> list[tuple]:
    return [(r.unit_id, r.new_warnings, r.new_problems, r.overdue_now, r.actions) for r in b.rows]


def test_a_day_with_a_violation_a_return_and_three_overdue(db):
    """Nov 26: V1 raised (U3302); P2's rectification returned; at the day's end B4, VO2 and
    B2 are overdue (all U3302's); U3301 and U3303 have nothing open."""
    b = bulletin(db, "2026-11-26")
    assert b.at == datetime(2026, 11, 27, tzinfo=CST)
    assert rows(b) == [("U3302", (0, 0, 1), {}, 3, (0, 0, 1))]
    assert [(o.row.item_id, o.row.hours) for o in b.overdue] == [
        ("B4", 912.0), ("VO2", 288.0), ("B2", 48.0)]
    assert b.overdue[0].rule_title == "拘留后提请批准逮捕"
    assert b.clear_units == ["U3301", "U3303"]


def test_a_day_with_a_new_warning_and_a_self_check_problem(db):
    """Nov 5: A3 first raised (approaching at the day's end: its overdue came on Nov 20) and
    P1 found by U3301's self-check; B4 overdue; P1 not yet verified keeps U3301 open, U3303
    has nothing."""
    b = bulletin(db, "2026-11-05")
    assert rows(b) == [("U3302", (0, 0, 0), {}, 1, (0, 0, 0)),
                       ("U3301", (1, 0, 0), {"self_check": 1}, 0, (0, 0, 0))]
    assert b.totals.new_warnings == (1, 0, 0) and b.totals.problems_found == 1
    assert b.overdue_total == 1 and b.clear_units == ["U3303"]


def test_actions_of_the_day_and_one_unit(db):
    b = bulletin(db, "2026-11-19", unit="U3301")  # P5 verified; A3 overdue at 24:00 sharp
    assert rows(b) == [("U3301", (0, 0, 0), {}, 1, (0, 1, 0))]
    assert b.clear_units == [] and bulletin_stem(b) == "bulletin-2026-11-19-U3301"
    assert bulletin(db, "2026-11-18", unit="U3301").clear_units == ["U3301"]


def test_an_action_at_midnight_falls_in_the_day_it_opens(db):
    """A day is [00:00, next 00:00): P5's verification at 2026-11-19 00:00:00 sharp counts on
    Nov 19 only, not also on Nov 18 (whose "now" is that same instant); Nov 18 keeps P5's
    rectification at 10:00."""
    def actions(day):
        return {r.unit_id: r.actions for r in bulletin(db, day, unit="U3301").rows}
    assert actions("2026-11-18") == {"U3301": (1, 0, 0)}
    assert actions("2026-11-19") == {"U3301": (0, 1, 0)}


def test_actions_that_lost_their_step_count_nowhere(db):
    """Issue 12: the refused second actions of tests/support/quality_seed.py (a return after
    P1's and V2's verification, a second rectification of P5 and A3) are not counted."""
    assert rows(bulletin(db, "2026-11-07", unit="U3301"))[0][4] == (0, 1, 0)  # P1 verified
    assert rows(bulletin(db, "2026-11-18", unit="U3301"))[0][4][0] == 1  # P5 rectified once
    assert rows(bulletin(db, "2026-11-22", unit="U3301"))[0][4] == (1, 0, 0)  # A3 once
    b = bulletin(db, "2026-11-10", unit="U3303")  # V2 verified, not returned: nothing open
    assert rows(b)[0][4] == (0, 1, 0) and b.clear_units == ["U3303"]


def test_today_counts_up_to_now(db):
    now = datetime(2026, 11, 26, 9, tzinfo=CST)  # before V1 was raised at 10:00
    b = bulletin(db, "2026-11-26", now=now)
    assert b.at == now and rows(b) == [("U3302", (0, 0, 0), {}, 3, (0, 0, 1))]
    assert b.overdue[0].row.hours == pytest.approx(912.0 - 15)


def test_system_warnings_and_unknown_units(db):
    b = bulletin(db, "2026-11-10")  # S2 raised: about a unit nobody knows
    assert "U3399" not in [r.unit_id for r in b.rows] + b.clear_units
    with pytest.raises(NoData, match="未知单位 U3399"):
        bulletin(db, "2026-11-10", unit="U3399")


def test_html_says_it_in_chinese(db):
    html = render_bulletin(bulletin(db, "2026-11-26"))
    for text in ("执法监督日通报", "2026年11月26日", "当前超期事项", "912.0", "无未结事项的单位",
                 "U3301（未登记）、U3303（未登记）", "拘留后提请批准逮捕"):
        assert text in html, text


def test_days_are_parsed_strictly():
    assert Day.parse("2026-11-05").end - Day.parse("2026-11-05").start == timedelta(days=1)
    for bad in ("2026-11-31", "2026-13-01", "20261105", "yesterday", "1969-12-31"):
        with pytest.raises(DayError, match="YYYY-MM-DD"):
            Day.parse(bad)
