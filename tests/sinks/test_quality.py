"""sinks/clickhouse/quality.py over the seeded dataset (written twice, merges stopped,
obligations in two versions) on current ClickHouse (chDB) and on the 18.16 server
(integration): every figure equals the known answer of tests/support/quality_seed.py."""

from collections.abc import Iterator

import pytest

from report.month import Month
from sinks.clickhouse import quality
from tests.support.databases import on_chdb, on_server
from tests.support.quality_seed import (
    EXPECTED_FIGURES,
    EXPECTED_OPEN_AT_END,
    EXPECTED_OPEN_PROBLEMS,
    EXPECTED_PROBLEMS,
    EXPECTED_RETRACTED,
    EXPECTED_RULES,
    EXPECTED_SOURCES,
    EXPECTED_VISITS,
    MONTH,
    PREVIOUS,
    nov,
    seed,
)

VISIT_RULES = ("visit_after_closure",)


@pytest.fixture(scope="module")
def chdb_db(tmp_path_factory) -> Iterator[tuple]:
    with on_chdb(tmp_path_factory.mktemp("chdb-quality")) as embedded:
        seed(embedded, embedded.execute, "q_seeded")
        yield embedded.execute, "q_seeded"


@pytest.fixture(scope="module")
def server_db() -> Iterator[tuple]:
    with on_server("casewatch_quality") as (ch, [db]):
        seed(ch, ch.execute, db)
        yield ch.execute, db


@pytest.fixture(
    params=[
        pytest.param("server_db", id="clickhouse-18.16", marks=pytest.mark.integration),
        pytest.param("chdb_db", id="chdb"),
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
def test_unit_figures_count_every_obligation_once(dbs, month):
    execute, db = dbs
    got = {f.unit_id: as_tuple(f) for f in quality.unit_figures(execute, db, *bounds(month))}
    assert got == EXPECTED_FIGURES[month]


def test_problems_of_every_source_with_their_own_actions(dbs):
    execute, db = dbs
    rows = quality.problems(execute, db, *bounds(MONTH))
    got = {}
    for r in rows:
        got.setdefault(r.unit_id, []).append((r.item_id, r.case_id, r.source, r.code,
                                              r.late_hours))
    assert got == {unit: [p[:5] for p in ps] for unit, ps in EXPECTED_PROBLEMS.items()}
    by_id = {r.item_id: r for r in rows}
    assert by_id["A3"].last_action == "rectify" and by_id["V2"].last_action == "verify"
    assert by_id["V1"].last_action == "acknowledge" and by_id["V1"].first_rectify_ts is None
    assert by_id["B2"].last_action is None  # its rectify came after month end
    assert by_id["P2"].last_action == "return" and by_id["P1"].last_action == "verify"
    assert by_id["P3"].last_action is None and by_id["P3"].kind == "problem"
    assert by_id["V1"].is_violation and by_id["V1"].due_ts is None
    assert by_id["B1"].first_rectify_ts - by_id["B1"].arose_ts == 240 * 3600
    assert by_id["P2"].first_rectify_ts - by_id["P2"].arose_ts == 312 * 3600


def test_per_source_counts_types_and_open_problems(dbs):
    execute, db = dbs
    start, end = bounds(MONTH)
    counts = {}
    for c in quality.source_counts(execute, db, start, end):
        counts.setdefault(c.source, {})[c.unit_id] = c.problems
    assert counts == EXPECTED_SOURCES
    types = quality.frequent_types(execute, db, start, end, limit=2)
    assert [(t.source, t.code, t.problems, t.units) for t in types if t.source == "platform"] == [
        ("platform", "custody_limit", 2, 2), ("platform", "approval_insufficient", 1, 1)]
    assert {t.source for t in types} == set(EXPECTED_SOURCES)
    assert quality.open_problems(execute, db, end) == EXPECTED_OPEN_PROBLEMS


def test_broken_rules_and_open_at_month_end(dbs):
    execute, db = dbs
    rules = quality.broken_rules(execute, db, *bounds(MONTH))
    assert [(r.rule_id, r.rule_kind, r.problems, r.violations, r.units) for r in rules] == (
        EXPECTED_RULES
    )
    assert [r.rule_id for r in quality.broken_rules(execute, db, *bounds(MONTH), limit=1)] == [
        "custody_limit"
    ]
    still = quality.open_at_end(execute, db, *bounds(MONTH))
    assert [(o.unit_id, o.item_id, o.case_id, o.rule_id, o.late_hours) for o in still] == (
        EXPECTED_OPEN_AT_END
    )


def test_visits_per_unit(dbs):
    execute, db = dbs
    got = quality.visits(execute, db, *bounds(MONTH), VISIT_RULES)
    assert {v.unit_id: (v.due, v.made, v.results, v.replied, v.satisfied,
                        v.basically_satisfied, v.unsatisfied) for v in got} == EXPECTED_VISITS
    u3301 = next(v for v in got if v.unit_id == "U3301")
    assert (u3301.reply_rate, u3301.satisfaction_rate) == (1.0, 2 / 3)
    u3303 = next(v for v in got if v.unit_id == "U3303")
    assert (u3303.reply_rate, u3303.satisfaction_rate) == (0.0, None)


def test_retractions_are_read_from_the_archived_bodies(dbs):
    """The retracted events of tests/support/quality_seed.py, found in bodies with and
    without spaces, an escaped id unescaped; a retracted retraction puts its target back."""
    execute, db = dbs
    assert {(str(c), str(e)) for c, e in execute(quality.retracted_sql(db))} \
        == EXPECTED_RETRACTED


def test_an_empty_month_has_no_figures(dbs):
    execute, db = dbs
    assert quality.unit_figures(execute, db, *bounds("2026-08")) == []
    assert quality.problems(execute, db, *bounds("2026-08")) == []
    assert quality.visits(execute, db, *bounds("2026-08"), VISIT_RULES) == []


def test_system_warnings_make_no_unit(dbs):
    execute, db = dbs
    assert quality.known_units(execute, db) == ["U3301", "U3302", "U3303"]


@pytest.mark.parametrize("db", ["x; DROP TABLE y", "a.b", "", "db name"])
def test_database_names_are_checked(db):
    with pytest.raises(ValueError):
        quality.unit_figures_sql(db, 0, 1)
    with pytest.raises(ValueError):
        quality.units_sql(db)


def test_visit_rule_ids_are_checked():
    with pytest.raises(ValueError):
        quality.visits_sql("db", 0, 1, ("x') OR ('1",))


def test_obligations_met_on_time_per_kind_and_day(dbs):
    execute, db = dbs
    got = [(o.unit_id, o.rule_kind, o.day_ts, o.obligations)
           for o in quality.on_time(execute, db, *bounds(MONTH))]
    day = {d: int(nov(d).timestamp()) for d in (3, 5, 8, 10, 12, 20, 25)}
    assert got == [
        ("U3301", "policy", day[20], 1),  # VO1
        ("U3301", "statutory", day[3], 1), ("U3301", "statutory", day[8], 1),  # A1, A5
        ("U3301", "statutory", day[10], 1),  # A2
        ("U3302", "statutory", day[5], 1),  # B5
        ("U3303", "policy", day[12], 1), ("U3303", "policy", day[25], 1),  # C1, VO3
    ]


def test_of_two_actions_with_one_step_only_the_first_on_the_topic_counts(dbs):
    """Issue 12: A3 and P5 were rectified twice at one step and V2 and P1 returned after
    their verification at its step; the console refused the second of each (tests/support/
    quality_seed.py), so the figures count neither: not the loser's earlier rectification
    (by its clock), not the loser's return."""
    execute, db = dbs
    by_id = {r.item_id: r for r in quality.problems(execute, db, *bounds(MONTH))}
    assert by_id["A3"].first_rectify_ts == int(nov(22, 12).timestamp())
    assert by_id["P5"].first_rectify_ts == int(nov(18, 10).timestamp())
    assert by_id["V2"].last_action == "verify" and by_id["P1"].last_action == "verify"
    assert by_id["B1"].last_action == "rectify"  # no step (written before steps): counts
    assert ("U3301", "self_check") not in quality.open_problems(execute, db, bounds(MONTH)[1])
