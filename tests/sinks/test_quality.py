"""sinks/clickhouse/quality.py over the seeded dataset (written twice, merges stopped) on current
ClickHouse (chDB) and on the 18.16 server (integration): every figure equals the known
answer of sinks/quality_testing.py."""

from collections.abc import Iterator

import pytest

from report.month import Month
from sinks.clickhouse import quality
from tests.support.databases import on_chdb, on_server
from tests.support.quality_seed import (
    EXPECTED_FIGURES,
    EXPECTED_OPEN_AT_END,
    EXPECTED_PROBLEMS,
    EXPECTED_RULES,
    MONTH,
    PREVIOUS,
    seed,
)


@pytest.fixture(scope="module")
def chdb_dbs(tmp_path_factory) -> Iterator[tuple]:
    with on_chdb(tmp_path_factory.mktemp("chdb-quality")) as embedded:
        seed(embedded, embedded.execute, "q_actions")
        seed(embedded, embedded.execute, "q_plain", with_actions=False)
        yield embedded.execute, "q_actions", "q_plain"


@pytest.fixture(scope="module")
def server_dbs() -> Iterator[tuple]:
    with on_server("casewatch_quality", "casewatch_quality_plain") as (ch, [db, plain]):
        seed(ch, ch.execute, db)
        seed(ch, ch.execute, plain, with_actions=False)
        yield ch.execute, db, plain


@pytest.fixture(
    params=[
        pytest.param("server_dbs", id="clickhouse-18.16", marks=pytest.mark.integration),
        pytest.param("chdb_dbs", id="chdb"),
    ]
)
def dbs(request):
    return request.getfixturevalue(request.param)


def bounds(month: str) -> tuple[int, int]:
    m = Month.parse(month)
    return m.start_ts, m.end_ts


def as_tuple(f: quality.UnitFigures) -> tuple:
    return (f.due, f.met_on_time, f.missed, f.still_open, f.violations, f.mean_late_hours,
            f.p90_late_hours, f.rectified, f.mean_turnaround_hours)


@pytest.mark.parametrize("month", [MONTH, PREVIOUS])
def test_unit_figures(dbs, month):
    execute, db, _ = dbs
    got = {f.unit_id: as_tuple(f) for f in quality.unit_figures(execute, db, *bounds(month))}
    assert got == EXPECTED_FIGURES[month]


def test_problems_with_rectification(dbs):
    execute, db, _ = dbs
    rows = quality.problems(execute, db, *bounds(MONTH))
    got = {}
    for r in rows:
        got.setdefault(r.unit_id, []).append((r.warning_id, r.case_id, r.rule_id, r.late_hours))
    assert got == {
        unit: [p[:4] for p in problems] for unit, problems in EXPECTED_PROBLEMS.items()
    }
    by_id = {r.warning_id: r for r in rows}
    assert by_id["A3"].last_action == "rectify" and by_id["V2"].last_action == "verify"
    assert by_id["V1"].last_action == "acknowledge" and by_id["V1"].first_rectify_ts is None
    assert by_id["B2"].last_action is None  # its rectify came after month end
    assert by_id["V1"].is_violation and by_id["V1"].due_ts is None
    assert by_id["B1"].first_rectify_ts - by_id["B1"].arose_ts == 240 * 3600


def test_broken_rules_and_open_at_month_end(dbs):
    execute, db, _ = dbs
    rules = quality.broken_rules(execute, db, *bounds(MONTH))
    assert [(r.rule_id, r.rule_kind, r.problems, r.violations, r.units) for r in rules] == (
        EXPECTED_RULES
    )
    assert [r.rule_id for r in quality.broken_rules(execute, db, *bounds(MONTH), limit=1)] == [
        "custody_limit"
    ]
    still = quality.open_at_end(execute, db, *bounds(MONTH))
    assert [(o.unit_id, o.warning_id, o.case_id, o.rule_id, o.late_hours) for o in still] == (
        EXPECTED_OPEN_AT_END
    )


def test_without_actions_turnaround_is_unknown(dbs):
    execute, _, plain = dbs
    assert execute(f"SELECT count() FROM {plain}.warning_actions")[0][0] == 0
    assert not quality.has_actions(execute, plain)
    figures = quality.unit_figures(execute, plain, *bounds(MONTH))
    assert {f.unit_id: (f.rectified, f.mean_turnaround_hours) for f in figures} == {
        "U3301": (0, None), "U3302": (0, None), "U3303": (0, None)
    }
    assert {as_tuple(f)[:7] for f in figures} == {v[:7] for v in EXPECTED_FIGURES[MONTH].values()}
    rows = quality.problems(execute, plain, *bounds(MONTH))
    assert len(rows) == 6 and all(r.last_action is None and r.first_rectify_ts is None
                                  for r in rows)


def test_an_empty_month_has_no_figures(dbs):
    execute, db, _ = dbs
    assert quality.unit_figures(execute, db, *bounds("2026-08")) == []
    assert quality.problems(execute, db, *bounds("2026-08")) == []
    assert quality.known_units(execute, db) == ["U3301", "U3302", "U3303"]


@pytest.mark.parametrize("db", ["x; DROP TABLE y", "a.b", "", "db name"])
def test_database_names_are_checked(db):
    with pytest.raises(ValueError):
        quality.unit_figures_sql(db, 0, 1)
    with pytest.raises(ValueError):
        quality.has_actions_sql(db)
