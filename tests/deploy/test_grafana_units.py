"""The units dashboard (deploy/grafana/dashboards/casewatch-units.json, written by
deploy/grafana/units_dashboard.py from the white paper's SQL): every ClickHouse panel's SQL,
expanded as Grafana would (test_grafana_panels.expand), run on ClickHouse 18.16
(integration) and chDB over the quality dataset of `tests.support.quality_seed` written
twice, must return exactly the figures that dataset is known to have.
"""

from collections.abc import Iterator

import pytest
from test_grafana_panels import (
    ALL,
    DASHBOARD_FILES,
    Request,
    clickhouse_queries,
    clickhouse_variables,
    comparable,
    dedup_problems,
    expand,
)

from tests.support.databases import on_chdb, on_server
from tests.support.quality_seed import (
    EXPECTED_FIGURES,
    EXPECTED_OPEN_AT_END,
    EXPECTED_OPEN_PROBLEMS,
    EXPECTED_RULES,
    EXPECTED_SOURCES,
    EXPECTED_VISITS,
    MONTH,
    PREVIOUS,
    WARNINGS,
    nov,
    seed,
)

UNITS_UID = "casewatch-units"
QUERIES = [q for q in clickhouse_queries(DASHBOARD_FILES) if q.dashboard == UNITS_UID]
VARIABLES = [v for v in clickhouse_variables(DASHBOARD_FILES) if v[0] == UNITS_UID]
UNIT_IDS = ["U3301", "U3302", "U3303"]

CASES = {  # name: (month, selected units)
    "nov_all": (MONTH, [ALL]),
    "nov_picked": (MONTH, UNIT_IDS),  # every unit picked one by one: an IN list
    "nov_U3302": (MONTH, ["U3302"]),
    "oct_all": (PREVIOUS, [ALL]),
}


def _figures(month: str, units=None) -> list[tuple]:
    rows = []
    for unit, (due, met, missed, open_, viol, mean, p90, _, _) in EXPECTED_FIGURES[month].items():
        if units is None or unit in units:
            rate = round(met / due, 4) if due else None
            rows.append((unit, due, met, rate, missed, open_, viol, mean, p90))
    return rows


def _ranking(month: str, units=None) -> list[tuple]:
    rows = [(r[0], r[3], r[1]) for r in _figures(month, units) if r[1] > 0]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def _lateness(month: str, units=None) -> list[tuple]:
    return [(r[0], r[7], r[8]) for r in _figures(month, units) if r[4] > 0]


def _turnaround(month: str, units=None) -> list[tuple]:
    return [
        (unit, f[7], f[8])
        for unit, f in EXPECTED_FIGURES[month].items()
        if f[7] and (units is None or unit in units)
    ]


def _due_text(warning_id: str) -> str:
    due = next(w.due_at for w in WARNINGS if w.warning_id == warning_id)
    return due.strftime("%Y-%m-%d %H:%M:%S")


def _sources(units=None) -> list[tuple]:
    rows = [(s, u, n) for s, by_unit in EXPECTED_SOURCES.items() for u, n in by_unit.items()
            if units is None or u in units]
    return sorted(rows, key=lambda r: (r[0], -r[2], r[1]))


def _visits(units=None) -> list[tuple]:
    rows = []
    for unit, (due, made, results, replied, sat, basic, unsat) in EXPECTED_VISITS.items():
        if units is None or unit in units:
            rows.append((unit, due, made, results, replied,
                         round(replied / results, 4) if results else None, sat, basic, unsat,
                         round((sat + basic) / replied, 4) if replied else None))
    return rows


_OPEN_NOV = [(u, c, r, _due_text(w), late) for u, w, c, r, late in EXPECTED_OPEN_AT_END]
_RULES_NOV = [(rule, problems, violations) for rule, _, problems, violations, _ in EXPECTED_RULES]
_OPEN_PROBLEMS = sorted((s, u, n) for (s, u), n in EXPECTED_OPEN_PROBLEMS.items())

EXPECTED: dict[str, dict[str, list[tuple]]] = {
    "单位月度指标 Unit figures of the month": {
        "nov_all": _figures(MONTH),
        "nov_U3302": _figures(MONTH, {"U3302"}),
        "oct_all": _figures(PREVIOUS),
    },
    "按时率排名 Ranking by on-time rate": {
        "nov_all": _ranking(MONTH),
        "nov_U3302": _ranking(MONTH, {"U3302"}),
        "oct_all": _ranking(PREVIOUS),
    },
    "超时时长（小时）Lateness, hours": {
        "nov_all": _lateness(MONTH),
        "nov_U3302": [("U3302", 162.0, 384.0)],
        "oct_all": _lateness(PREVIOUS),
    },
    "整改用时（小时）Rectification turnaround, hours": {
        "nov_all": _turnaround(MONTH),
        "nov_U3302": [("U3302", 2, 276.0)],
        "oct_all": [],  # nothing was rectified by the end of October
    },
    "月末仍超期 Still overdue at month end": {
        "nov_all": _OPEN_NOV,
        "nov_U3302": _OPEN_NOV,  # all four are U3302's
        "oct_all": [("U3302", "C204", "det_arrest_request", "2026-10-20 00:00:00", 288.0)],
    },
    "高发问题规则 Most broken rules": {
        "nov_all": _RULES_NOV,
        "nov_U3302": [
            ("custody_extension_out_of_order", 1, 1),
            ("custody_limit", 1, 0),
            ("det_arrest_request", 1, 0),
            ("det_family_notice", 1, 0),
            ("visit_after_closure", 1, 0),
        ],
        "oct_all": [("det_arrest_request", 1, 0), ("det_family_notice", 1, 0)],
    },
    "各来源问题 Problems by source": {
        "nov_all": _sources(),
        "nov_U3302": _sources({"U3302"}),
        "oct_all": [("case_review", "U3302", 1), ("platform", "U3301", 1),
                    ("platform", "U3302", 1)],
    },
    "检查发现问题月末未结 Found problems open at month end": {
        "nov_all": _OPEN_PROBLEMS,
        "nov_U3302": [r for r in _OPEN_PROBLEMS if r[1] == "U3302"],
        "oct_all": [("case_review", "U3302", 1)],  # P6, found Oct 25
    },
    "社会化访评 Satisfaction visits": {
        "nov_all": _visits(),
        "nov_U3302": _visits({"U3302"}),
        "oct_all": [("U3301", 0, 1, 0, 0, None, 0, 0, 0, None)],  # V3 made Oct 30
    },
}
EXPECTED_VARIABLES = {"month": ["2026-12", "2026-11", "2026-10"], "unit": UNIT_IDS}


def request_for(case: str, db: str) -> Request:
    month, units = CASES[case]
    # The time range is not used by these panels (the month variable is); any will do.
    return Request(
        nov(1),
        nov(30),
        selected={"unit": units, "month": [month]},
        options={"unit": UNIT_IDS, "month": EXPECTED_VARIABLES["month"]},
        database=db,
    )


def expected_rows(title: str, case: str) -> list[tuple]:
    return EXPECTED[title]["nov_all" if case == "nov_picked" else case]


@pytest.fixture(scope="module")
def server_db() -> Iterator[tuple]:
    with on_server("casewatch_units") as (ch, [db]):
        seed(ch, ch.execute, db)
        yield ch.execute, db


@pytest.fixture(scope="module")
def chdb_db(tmp_path_factory) -> Iterator[tuple]:
    with on_chdb(tmp_path_factory.mktemp("chdb-units")) as embedded:
        seed(embedded, embedded.execute, "casewatch_units")
        yield embedded.execute, "casewatch_units"


@pytest.fixture(
    params=[
        pytest.param("server_db", id="clickhouse-18.16", marks=pytest.mark.integration),
        pytest.param("chdb_db", id="chdb"),
    ]
)
def backend(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_units_panel_returns_known_figures(backend, query, case):
    execute, db = backend
    sql = expand(query.sql, request_for(case, db))
    expected = expected_rows(query.title, case)
    assert comparable(execute(sql), expected) == expected, sql


@pytest.mark.parametrize("variable", VARIABLES, ids=lambda v: f"${v[1]}")
def test_units_variables_list_values(backend, variable):
    execute, db = backend
    _, name, sql = variable
    rows = execute(expand(sql, Request(nov(1), nov(30), database=db)))
    assert [str(r[0]) for r in rows] == EXPECTED_VARIABLES[name]


@pytest.mark.parametrize(
    "sql", [q.sql for q in QUERIES] + [v[2] for v in VARIABLES],
    ids=[q.name for q in QUERIES] + [f"${v[1]}" for v in VARIABLES],
)
def test_units_queries_read_retry_safely(sql):
    assert dedup_problems(sql) == []


def test_units_dashboard_covers_what_leaders_asked_for():
    assert {q.title for q in QUERIES} == set(EXPECTED)
    for cases in EXPECTED.values():
        assert cases["nov_all"], "every panel shows something for November"
    assert {v[1] for v in VARIABLES} == set(EXPECTED_VARIABLES)
    month_var = next(
        v for _, d in DASHBOARD_FILES if d["uid"] == UNITS_UID
        for v in d["templating"]["list"] if v["name"] == "month"
    )
    assert month_var["multi"] is False and month_var["includeAll"] is False


def test_the_file_is_what_the_generator_writes():
    import importlib.util

    path = DASHBOARD_FILES[0][0].parents[1] / "units_dashboard.py"
    spec = importlib.util.spec_from_file_location("units_dashboard", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.OUT.read_text(encoding="utf-8") == module.render(), (
        "run .venv/bin/python deploy/grafana/units_dashboard.py")
