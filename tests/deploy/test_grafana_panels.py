"""Grafana as code: provisioning files, dashboard JSON, and every ClickHouse panel's SQL.

No Grafana server runs here, so this file does what Grafana and the ClickHouse plugin
(`grafana-clickhouse-datasource`) would do to a panel's `rawSql` -- substitute the
dashboard variables and the plugin's macros, see `expand()` -- and runs the result

  (a) on the ClickHouse 18.16 server of `deploy/stack` (marked `integration`), and
  (b) on current ClickHouse in-process (chDB, `sinks.clickhouse.embedded`),

each in a fresh database built by `sinks.clickhouse.migrate.migrate` and holding the rows of
`tests.support.clickhouse_scenario.scenario_rows()` written three times (first write, identical
retry, replay with a later `emitted_at`), with merges stopped so the copies stay on disk. Every
panel must return exactly the rows in `EXPECTED`, so a query that forgets FINAL/argMax
(and counts a copy twice) fails.

The static checks need no database: bilingual titles, datasources that are provisioned,
provisioning YAML that parses (PyYAML when installed, else the small subset parser
below), the ClickHouse password taken from the environment, the compose service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.timefmt import CST
from sinks.clickhouse.batch import Batch
from sinks.clickhouse.migrate import check_identifier, migrate
from sinks.clickhouse.rows import COLUMNS
from tests.support.clickhouse_scenario import later, scenario_rows
from tests.support.databases import on_chdb, on_server

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "deploy" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
DATASOURCES_YAML = GRAFANA / "provisioning" / "datasources" / "casewatch.yaml"
DASHBOARDS_YAML = GRAFANA / "provisioning" / "dashboards" / "casewatch.yaml"
COMPOSE = REPO / "deploy" / "compose.yaml"

CH_PLUGIN = "grafana-clickhouse-datasource"
CH_UID = "casewatch-clickhouse"
SQL_DATABASE = "casewatch"  # the database the panels name; tests swap in their own
SUPERVISION = "casewatch-supervision"


# ---------------------------------------------------------------- loading dashboards


def load_dashboards() -> list[tuple[Path, dict]]:
    return [
        (p, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(DASHBOARDS.glob("*.json"))
    ]


def is_clickhouse(datasource: object) -> bool:
    return isinstance(datasource, dict) and datasource.get("type") == CH_PLUGIN


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str  # dashboard uid
    panel_id: int
    title: str
    ref_id: str
    sql: str

    @property
    def name(self) -> str:
        """An ASCII test id: dashboard uid, panel id, the English words of the title."""
        english = "_".join(re.findall(r"[A-Za-z0-9]+", self.title))
        return f"{self.dashboard}#{self.panel_id}-{english}-{self.ref_id}"


def clickhouse_queries(dashboards: list[tuple[Path, dict]]) -> list[PanelQuery]:
    """Every target of every panel that reads the ClickHouse datasource (panel or target level)."""
    out = []
    for _, dash in dashboards:
        for panel in dash.get("panels", []):
            for target in panel.get("targets", []):
                if is_clickhouse(target.get("datasource", panel.get("datasource"))):
                    out.append(
                        PanelQuery(
                            dash["uid"],
                            panel["id"],
                            panel["title"],
                            target["refId"],
                            target["rawSql"],
                        )
                    )
    return out


def clickhouse_variables(dashboards: list[tuple[Path, dict]]) -> list[tuple[str, str, str]]:
    """(dashboard uid, variable name, SQL) of every query variable on the ClickHouse datasource."""
    out = []
    for _, dash in dashboards:
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") == "query" and is_clickhouse(var.get("datasource")):
                query = var["query"]
                out.append(
                    (dash["uid"], var["name"], query if isinstance(query, str) else query["rawSql"])
                )
    return out


DASHBOARD_FILES = load_dashboards()
# The supervision dashboard's panels run over the scenario below; the units dashboard's
# over the quality dataset (test_grafana_units.py).
QUERIES = [q for q in clickhouse_queries(DASHBOARD_FILES) if q.dashboard == SUPERVISION]
VARIABLES = [v for v in clickhouse_variables(DASHBOARD_FILES) if v[0] == SUPERVISION]


# ---------------------------------------------------------------- the expander

ALL = "$__all"  # Grafana's value for "All" in a multi-value variable


@dataclass(frozen=True)
class Request:
    """What one Grafana request supplies: the time range and each variable's selection.

    `selected[name]` is the list of chosen values, `[ALL]` for "All"; `options[name]` is
    every value the variable offers (what "All" expands to, since the dashboard sets no
    custom all value).
    """

    time_from: datetime
    time_to: datetime
    selected: Mapping[str, Sequence[str]] = field(default_factory=dict)
    options: Mapping[str, Sequence[str]] = field(default_factory=dict)
    database: str = SQL_DATABASE

    def values(self, name: str) -> list[str]:
        if name not in self.selected:
            raise KeyError(f"variable ${name} is not defined for this request")
        chosen = list(self.selected[name])
        return list(self.options.get(name, [])) if chosen == [ALL] else chosen


def _macro_args(sql: str, open_paren: int) -> tuple[list[str], int]:
    """Split the arguments of the call whose '(' is at `open_paren` on top-level commas;
    return them and the index just past the closing ')'."""
    depth, start, args = 0, open_paren + 1, []
    for i in range(open_paren, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[start:i])
                return args, i + 1
        elif sql[i] == "," and depth == 1:
            args.append(sql[start:i])
            start = i + 1
    raise ValueError(f"unbalanced parentheses after position {open_paren}")


_VAR_REF = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")


def _conditional_all(sql: str, req: Request) -> str:
    """$__conditionalAll(condition, $var) -> '1=1' when $var is All or empty, else condition.
    Done by the plugin's frontend before variables are replaced, as here."""
    macro = "$__conditionalAll("
    while (at := sql.rfind(macro)) != -1:
        args, end = _macro_args(sql, at + len(macro) - 1)
        if len(args) != 2:
            raise ValueError(f"$__conditionalAll takes 2 arguments, got {len(args)}")
        ref = _VAR_REF.search(args[1].strip())
        if not ref:
            raise ValueError(f"$__conditionalAll needs a variable, got {args[1]!r}")
        name = ref.group(1) or ref.group(3)
        chosen = list(req.selected.get(name, []))
        phrase = "1=1" if chosen in ([], [ALL], [""]) else args[0]
        sql = sql[:at] + phrase + sql[end:]
    return sql


def _format(values: list[str], fmt: str | None) -> str:
    if fmt == "singlequote":  # Grafana's formatter: each value quoted, ' escaped, comma-joined
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt is None:  # the plugin's own format(): arrays become 'a','b' (no escaping)
        return "'" + "','".join(values) + "'"
    raise ValueError(f"variable format :{fmt} is not supported by this expander")


def _variables(sql: str, req: Request) -> str:
    """$var, ${var} and ${var:singlequote}; names starting with __ are macros, left alone."""

    def sub(m: re.Match) -> str:
        name = m.group(1) or m.group(3)
        if name.startswith("__"):
            return m.group(0)
        return _format(req.values(name), m.group(2))

    return _VAR_REF.sub(sub, sql)


def _macros(sql: str, req: Request) -> str:
    """The plugin's backend macros (pkg/macros): times as toDateTime(unix seconds)."""
    start, end = int(req.time_from.timestamp()), int(req.time_to.timestamp())

    def time_filter(m: re.Match) -> str:
        args, _ = _macro_args(m.string, m.end() - 1)
        if len(args) != 1:
            raise ValueError(f"$__timeFilter takes 1 argument, got {len(args)}")
        col = args[0].strip()
        return f"{col} >= toDateTime({start}) AND {col} <= toDateTime({end})"

    while m := re.search(r"\$__timeFilter\(", sql):
        _, stop = _macro_args(sql, m.end() - 1)
        sql = sql[: m.start()] + time_filter(m) + sql[stop:]
    sql = re.sub(r"\$__fromTime\b", f"toDateTime({start})", sql)
    return re.sub(r"\$__toTime\b", f"toDateTime({end})", sql)


def expand(sql: str, req: Request) -> str:
    """Panel SQL as ClickHouse receives it from Grafana, for the request `req`.

    In Grafana's order: $__conditionalAll(cond, $var) -> cond or 1=1; variables ($unit ->
    'U1','U2' as the plugin formats arrays, ${unit:singlequote} -> 'U1','U2'; "All" ->
    every option); then the plugin's backend macros $__timeFilter(col) ->
    `col >= toDateTime(from) AND col <= toDateTime(to)`, $__fromTime -> toDateTime(from),
    $__toTime -> toDateTime(to), all unix seconds. Anything else starting with `$` raises,
    so a panel using a macro this file does not know (e.g. $__timeInterval, which emits
    toStartOfInterval, refused by 18.16) fails loudly. Finally `casewatch.` becomes
    `req.database.` so the query reads the test's database.
    """
    sql = _macros(_variables(_conditional_all(sql, req), req), req)
    leftover = re.search(r"\$[\w{]+", sql)
    if leftover:
        raise ValueError(f"{leftover.group(0)} is not supported by this expander")
    return re.sub(rf"\b{SQL_DATABASE}\.", check_identifier(req.database) + ".", sql)


# ---------------------------------------------------------------- the fixed scenario


def cst(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 3, 1, hour, minute, second, tzinfo=CST)


UNITS = ["U1", "U2"]
DAY = (cst(0), cst(23, 59, 59))
CASES = {
    # name: (time range, selected units)
    "day_all": (DAY, [ALL]),
    "day_U1_U2": (DAY, ["U1", "U2"]),  # the same units picked one by one: an IN list
    "day_U2": (DAY, ["U2"]),
    "11h_all": ((cst(11), cst(12)), [ALL]),
}

_OPEN = [("U1", "overdue", 1), ("U2", "violation", 1)]
_OVERDUE = [("U1", "R1", "C1", "P1", "2024-03-01 11:00:00", "传唤即将超时", "W1")]
_UNDER = [
    ("U1", "bail", "C3", "P3", "2024-03-01 09:30:00", "2024-03-01 21:30:00"),
    ("U1", "detention", "C1", "P2", "2024-03-01 09:30:00", "2024-03-01 21:30:00"),
]
_TREND = [
    ("2024-03-01 10:00:00", "approaching", 2),
    ("2024-03-01 10:00:00", "overdue", 1),
    ("2024-03-01 10:00:00", "violation", 1),
    ("2024-03-01 11:00:00", "approaching", 1),
]

# Per panel title: rows expected for each case of CASES ("day_U1_U2" must equal "day_all").
# Scenario (sinks/testing.py): W1 U1/R1 approaching 10:05 -> overdue 10:40, still open;
# W2 U1/R1 approaching 10:20 -> resolved on time 11:10; W3 U2/R2 violation 10:30, open.
# Measures: P1 summons ended (version 12), P2 detention and P3 bail active.
EXPECTED: dict[str, dict[str, list[tuple]]] = {
    "未办结预警（按单位、级别）Open warnings, by unit and level": {
        "day_all": _OPEN,
        "day_U2": [("U2", "violation", 1)],
        "11h_all": _OPEN,
    },
    "超期未办结 Overdue, open": {"day_all": _OVERDUE, "day_U2": [], "11h_all": _OVERDUE},
    "时段内违规（按规则、单位）Violations in range, by rule and unit": {
        "day_all": [("R2", "U2", 1)],
        "day_U2": [("R2", "U2", 1)],
        "11h_all": [],  # W3 was raised at 10:30
    },
    "每小时预警趋势（按级别）Warnings per hour, by level": {
        "day_all": _TREND,
        "day_U2": [("2024-03-01 10:00:00", "violation", 1)],
        "11h_all": [("2024-03-01 11:00:00", "approaching", 1)],
    },
    "超期率（按单位）Overdue rate, by unit": {
        "day_all": [("U1", 2, 1, 0.5)],  # W1 went overdue, W2 did not; W3 is no obligation
        "day_U2": [],
        "11h_all": [],  # W1 and W2 were raised before 11:00
    },
    "高发规则 Top rules": {
        "day_all": [("R1", 2), ("R2", 1)],
        "day_U2": [("R2", 1)],
        "11h_all": [],
    },
    "当前强制措施在控人员（按单位）Under a measure now, by unit": {
        "day_all": _UNDER,
        "day_U2": [],
        "11h_all": _UNDER,
    },
}
EXPECTED_VARIABLES = {(SUPERVISION, "unit"): UNITS}
WRITES = 3  # first write, identical retry, replay with a later emitted_at


def request_for(case: str, db: str) -> Request:
    (start, end), units = CASES[case]
    return Request(start, end, selected={"unit": units}, options={"unit": UNITS}, database=db)


def expected_rows(title: str, case: str) -> list[tuple]:
    return EXPECTED[title]["day_all" if case == "day_U1_U2" else case]


def _coerce(got: object, want: object) -> object:
    """Server (Python types) and chDB (JSON: 64-bit ints as text) values compared alike."""
    if isinstance(got, datetime):
        got = (got if got.tzinfo else got.replace(tzinfo=UTC)).astimezone(CST)
        got = got.strftime("%Y-%m-%d %H:%M:%S")
    if want is None or got is None:
        return got
    if isinstance(want, int):
        return int(got)
    if isinstance(want, float):
        return round(float(got), 4)
    return str(got)


def comparable(rows: Sequence[Sequence], expected: list[tuple]) -> list[tuple]:
    shape = expected[0] if expected else ()
    return [
        tuple(_coerce(v, shape[i] if i < len(shape) else "") for i, v in enumerate(row))
        for row in rows
    ]


# ---------------------------------------------------------------- databases

Execute = Callable[[str], list[tuple]]


def fill(writer, execute: Execute, db: str) -> None:
    """Migrate `db`, stop merges (so copies stay), write the scenario WRITES times."""
    migrate(execute, db)
    for table in (*COLUMNS, "warnings_hourly"):
        execute(f"SYSTEM STOP MERGES {db}.{table}")
    batch = Batch(writer, db=db)
    for emitted_at in [None] * (WRITES - 1) + [later()]:
        for table, row, partition, offset in scenario_rows(*filter(None, [emitted_at])):
            batch.add("scenario", partition, offset, [(table, row)])
        batch.flush()


@pytest.fixture(scope="module")
def server_db() -> Iterator[tuple[Execute, str]]:
    with on_server("casewatch_grafana") as (ch, [db]):
        fill(ch, ch.execute, db)
        yield ch.execute, db


@pytest.fixture(scope="module")
def chdb_db(tmp_path_factory) -> Iterator[tuple[Execute, str]]:
    with on_chdb(tmp_path_factory.mktemp("chdb")) as embedded:
        fill(embedded, embedded.execute, "casewatch_grafana")
        yield embedded.execute, "casewatch_grafana"


BACKENDS = [
    pytest.param("server_db", id="clickhouse-18.16", marks=pytest.mark.integration),
    pytest.param("chdb_db", id="chdb"),
]


@pytest.fixture(params=BACKENDS)
def backend(request) -> tuple[Execute, str]:
    return request.getfixturevalue(request.param)


# ---------------------------------------------------------------- panels on both backends


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_panel_returns_expected_rows(backend, query: PanelQuery, case: str):
    execute, db = backend
    assert query.title in EXPECTED, f"no expected rows for panel {query.name!r}"
    sql = expand(query.sql, request_for(case, db))
    expected = expected_rows(query.title, case)
    assert comparable(execute(sql), expected) == expected, sql


@pytest.mark.parametrize("variable", VARIABLES, ids=lambda v: f"{v[0]}:${v[1]}")
def test_variable_query_lists_values(backend, variable):
    execute, db = backend
    dash, name, sql = variable
    rows = execute(expand(sql, Request(*DAY, database=db)))
    assert [str(r[0]) for r in rows] == EXPECTED_VARIABLES[(dash, name)]


def test_scenario_copies_are_on_disk(backend):
    """The panels above only prove retry-safety if the copies are really there: without
    FINAL or GROUP BY each table shows every write."""
    execute, db = backend
    distinct = {"events": 3, "warning_history": 5, "measure_state": 3}
    for table, keys in distinct.items():
        assert int(execute(f"SELECT count() FROM {db}.{table}")[0][0]) > keys, table
        assert int(execute(f"SELECT count() FROM {db}.{table} FINAL")[0][0]) == keys, table
    raw_open = execute(f"SELECT count() FROM {db}.warning_history WHERE status = 'open'")
    assert int(raw_open[0][0]) == 4 * WRITES  # what a naive "open warnings" count would show


# ---------------------------------------------------------------- the expander itself

_REQ = Request(cst(0), cst(1), selected={"unit": [ALL]}, options={"unit": UNITS}, database="t1")


def test_expander_substitutes_macros_and_variables():
    sql = (
        "SELECT 1 FROM casewatch.x WHERE $__timeFilter(changed_at) AND h >= $__fromTime"
        " AND h <= $__toTime AND u IN (${unit:singlequote}) AND v IN ($unit)"
        " AND $__conditionalAll(w IN (${unit:singlequote}), $unit)"
    )
    start, end = int(cst(0).timestamp()), int(cst(1).timestamp())
    assert (start, end) == (1709222400, 1709226000)
    assert expand(sql, _REQ) == (
        f"SELECT 1 FROM t1.x WHERE changed_at >= toDateTime({start}) AND changed_at <= "
        f"toDateTime({end}) AND h >= toDateTime({start}) AND h <= toDateTime({end})"
        " AND u IN ('U1','U2') AND v IN ('U1','U2') AND 1=1"
    )
    one = Request(cst(0), cst(1), selected={"unit": ["O'Neil"]}, database="t1")
    assert expand("$__conditionalAll(w IN (${unit:singlequote}), $unit)", one) == (
        "w IN ('O\\'Neil')"
    )


@pytest.mark.parametrize(
    "sql",
    ["$__timeInterval(hour)", "$__fromTime_ms", "$other", "${unit:csv}", "$__timeFilter(a, b)"],
)
def test_expander_rejects_what_it_does_not_know(sql):
    with pytest.raises((ValueError, KeyError)):
        expand(sql, _REQ)


# ---------------------------------------------------------------- retry-safety lint

REPLACING = {"events", "warning_history", "measure_state", "warning_actions", "obligations",
             "problems", "problem_actions", "visits"}
AGGREGATING = {"warnings_hourly"}


def _scopes(sql: str, pos: int) -> list[str]:
    """The SELECT levels enclosing `pos`, innermost first, each with nested parentheses
    emptied (so a GROUP BY counts only at its own level)."""
    stack, pairs = [], {}
    for i, ch in enumerate(sql):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            pairs[stack.pop()] = i
    opens = sorted((o for o, c in pairs.items() if o < pos < c), reverse=True)
    spans = [(o + 1, pairs[o]) for o in opens] + [(0, len(sql))]
    return [_flatten(sql[start:end]) for start, end in spans]


def _flatten(text: str) -> str:
    """`text` with the inside of every parenthesised part removed: 'f(a(b)) x' -> 'f() x'."""
    out, depth = [], 0
    for ch in text:
        if ch == ")":
            depth -= 1
        if depth == 0:
            out.append(ch)
        if ch == "(":
            depth += 1
    return "".join(out)


def dedup_problems(sql: str) -> list[str]:
    """Heuristic: every read of a ReplacingMergeTree uses FINAL or passes through a GROUP BY
    or DISTINCT (argMax for the latest state); warnings_hourly is read with -Merge and
    GROUP BY. The double-write tests above are the real proof; this names the culprit."""
    problems = []
    for m in re.finditer(rf"\bFROM\s+{SQL_DATABASE}\.(\w+)(\s+FINAL\b)?", sql, re.IGNORECASE):
        table, final = m.group(1), m.group(2)
        scopes = _scopes(sql, m.start())
        grouped = any(re.search(r"\bGROUP\s+BY\b|\bSELECT\s+DISTINCT\b", s, re.I) for s in scopes)
        if table in AGGREGATING:
            if not (re.search(r"\w+Merge\s*\(", scopes[0]) and grouped):
                problems.append(f"{table} read without -Merge and GROUP BY")
        elif table in REPLACING:
            if not final and not grouped:
                problems.append(f"{table} read without FINAL or GROUP BY/DISTINCT")
        else:
            problems.append(f"unknown table {table}")
    if not re.search(rf"\bFROM\s+{SQL_DATABASE}\.", sql, re.IGNORECASE):
        problems.append(f"reads no {SQL_DATABASE}.<table>")
    return problems


@pytest.mark.parametrize(
    "sql",
    [q.sql for q in QUERIES] + [v[2] for v in VARIABLES],
    ids=[q.name for q in QUERIES] + [f"{v[0]}:${v[1]}" for v in VARIABLES],
)
def test_every_query_reads_retry_safely(sql):
    assert dedup_problems(sql) == []


def test_dedup_lint_catches_naive_reads():
    assert dedup_problems("SELECT count() FROM casewatch.warning_history WHERE status = 'open'")
    assert dedup_problems("SELECT * FROM casewatch.measure_state WHERE active = 1")
    assert dedup_problems("SELECT hour, warnings FROM casewatch.warnings_hourly")
    assert not dedup_problems("SELECT * FROM casewatch.measure_state FINAL WHERE active = 1")
    # a GROUP BY or DISTINCT at an outer level covers a raw read inside (DISTINCT over UNION)
    assert not dedup_problems(
        "SELECT u FROM (SELECT unit_id AS u FROM casewatch.events) GROUP BY u"
    )
    # argMax under GROUP BY at the same level: the documented latest-state pattern
    assert not dedup_problems(
        "SELECT argMax(level, changed_at) FROM casewatch.warning_history GROUP BY warning_id"
    )


# ---------------------------------------------------------------- dashboards, statically

HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")


def provisioned_datasources() -> dict[str, str]:
    doc = load_yaml(DATASOURCES_YAML)
    return {ds["uid"]: ds["type"] for ds in doc["datasources"]}


@pytest.mark.parametrize("path,dash", DASHBOARD_FILES, ids=[p.name for p, _ in DASHBOARD_FILES])
def test_titles_are_chinese_and_english(path, dash):
    titles = [dash["title"]] + [p["title"] for p in dash["panels"]]
    bad = [t for t in titles if not (HAN.search(t) and LATIN.search(t))]
    assert bad == [], f"{path.name}: titles need Chinese and English: {bad}"
    panel_titles = [p["title"] for p in dash["panels"]]
    assert len(set(panel_titles)) == len(panel_titles), "panel titles must be unique"
    ids = [p["id"] for p in dash["panels"]]
    assert len(set(ids)) == len(ids), "panel ids must be unique"


@pytest.mark.parametrize("path,dash", DASHBOARD_FILES, ids=[p.name for p, _ in DASHBOARD_FILES])
def test_every_datasource_is_provisioned(path, dash):
    provisioned = provisioned_datasources()
    refs = [
        ("dashboard variable " + v["name"], v["datasource"])
        for v in dash.get("templating", {}).get("list", [])
        if "datasource" in v
    ]
    for panel in dash["panels"]:
        refs.append((panel["title"], panel.get("datasource")))
        refs += [
            (f"{panel['title']} / {t['refId']}", t["datasource"])
            for t in panel.get("targets", [])
            if "datasource" in t
        ]
    for where, ds in refs:
        assert isinstance(ds, dict), (
            f"{path.name}: {where} has no datasource (no default is relied on)"
        )
        assert provisioned.get(ds.get("uid")) == ds.get("type"), (
            f"{path.name}: {where} uses {ds}, provisioned: {provisioned}"
        )


def test_dashboard_uids_are_unique_and_supervision_exists():
    uids = [d["uid"] for _, d in DASHBOARD_FILES]
    assert len(set(uids)) == len(uids)
    assert SUPERVISION in uids


def test_every_clickhouse_panel_is_sql_and_has_expectations():
    assert QUERIES, "no ClickHouse panels found"
    for _, dash in DASHBOARD_FILES:
        for panel in dash["panels"]:
            for target in panel.get("targets", []):
                if is_clickhouse(target.get("datasource", panel.get("datasource"))):
                    assert target.get("editorType") == "sql" and target.get("rawSql", "").strip()
                    assert target.get("queryType") in ("table", "timeseries")
                    assert (
                        target.get("format") == {"table": 1, "timeseries": 0}[target["queryType"]]
                    )
    titles = {q.title for q in QUERIES if q.dashboard == SUPERVISION}
    assert titles == set(EXPECTED), "EXPECTED must cover exactly the supervision panels"
    for title, cases in EXPECTED.items():  # every panel shows something for the scenario
        assert set(cases) == set(CASES) - {"day_U1_U2"} and cases["day_all"], title
    assert {(d, n) for d, n, _ in VARIABLES} == set(EXPECTED_VARIABLES)


# ---------------------------------------------------------------- provisioning YAML


def load_yaml(path: Path):
    """PyYAML if installed (it is not a dependency of this project), else parse_yaml_subset."""
    text = path.read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        return parse_yaml_subset(text)
    return yaml.safe_load(text)


_KEY = re.compile(
    r"""^("[^"]*"|'[^']*'|[^\s"'#\-\[\]{}&*!|>][^:]*?|-[^\s:][^:]*?)\s*:(?:\s+(.*))?$"""
)


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def _scalar(text: str, line: int):
    if text[0] in "\"'":
        if len(text) < 2 or text[-1] != text[0]:
            raise ValueError(f"line {line}: unterminated quoted string {text!r}")
        body = text[1:-1]
        return json.loads(f'"{body}"') if text[0] == '"' else body.replace("''", "'")
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [_scalar(part.strip(), line) for part in inner.split(",")] if inner else []
    if text[0] in "[{&*!|>%@`":
        raise ValueError(f"line {line}: {text!r} is beyond this YAML subset")
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "~"):
        return None
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    return text


def parse_yaml_subset(text: str):
    """A small YAML parser, enough for Grafana provisioning files: block mappings and
    sequences by indentation, `- key: value` items, comments, quoted and plain scalars,
    ints, booleans, null, flat `[a, b]` lists. Anchors, tags, block scalars and flow
    mappings are refused (ValueError), as are tabs, duplicate keys and bad indentation."""
    lines = []
    for n, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ValueError(f"line {n}: tab in indentation")
        content = _strip_comment(raw).rstrip()
        if content.strip():
            lines.append([len(content) - len(content.lstrip(" ")), content.strip(), n])
    if not lines:
        return None
    value, i = _block(lines, 0, lines[0][0])
    if i != len(lines):
        raise ValueError(f"line {lines[i][2]}: unexpected indentation")
    return value


def _is_item(text: str) -> bool:
    return text == "-" or text.startswith("- ")


def _block(lines, i, indent):
    return (_seq if _is_item(lines[i][1]) else _map)(lines, i, indent)


def _map(lines, i, indent):
    out = {}
    while i < len(lines) and lines[i][0] == indent and not _is_item(lines[i][1]):
        _, text, n = lines[i]
        m = _KEY.match(text)
        if not m:
            raise ValueError(f"line {n}: expected 'key: value', got {text!r}")
        key = _scalar(m.group(1).strip(), n)
        if key in out:
            raise ValueError(f"line {n}: duplicate key {key!r}")
        i += 1
        if m.group(2):
            out[key] = _scalar(m.group(2).strip(), n)
        elif i < len(lines) and lines[i][0] > indent:
            out[key], i = _block(lines, i, lines[i][0])
        elif i < len(lines) and lines[i][0] == indent and _is_item(lines[i][1]):
            out[key], i = _seq(lines, i, indent)
        else:
            out[key] = None
    if i < len(lines) and lines[i][0] > indent:
        raise ValueError(f"line {lines[i][2]}: unexpected indentation")
    return out, i


def _seq(lines, i, indent):
    out = []
    while i < len(lines) and lines[i][0] == indent and _is_item(lines[i][1]):
        _, text, n = lines[i]
        body = text[1:].lstrip()
        if not body:
            i += 1
            if i < len(lines) and lines[i][0] > indent:
                item, i = _block(lines, i, lines[i][0])
            else:
                item = None
        elif _KEY.match(body):
            lines[i] = [indent + len(text) - len(body), body, n]  # "- k: v" opens a mapping
            item, i = _map(lines, i, lines[i][0])
        else:
            item, i = _scalar(body, n), i + 1
        out.append(item)
    return out, i


def test_yaml_subset_parser_parses_and_refuses():
    doc = parse_yaml_subset(
        "# c\napiVersion: 1\nitems:\n  - name: a  # note\n    port: 9000\n    tags: [x, 'y']\n"
        "  - plain\nflag: true\nurl: http://h:1/p\nempty:\n"
    )
    assert doc == {
        "apiVersion": 1,
        "items": [{"name": "a", "port": 9000, "tags": ["x", "y"]}, "plain"],
        "flag": True,
        "url": "http://h:1/p",
        "empty": None,
    }
    for bad in ("a: 1\n  b: 2\n", "a: 1\na: 2\n", "a: &x 1\n", "a:\n\t- 1\n", "a: |\n  x\n"):
        with pytest.raises(ValueError):
            parse_yaml_subset(bad)


@pytest.mark.parametrize("path", [DATASOURCES_YAML, DASHBOARDS_YAML], ids=lambda p: p.parent.name)
def test_provisioning_yaml_parses(path):
    doc = load_yaml(path)
    assert isinstance(doc, dict) and doc.get("apiVersion") == 1
    key = "datasources" if "datasources" in path.parts else "providers"
    assert isinstance(doc.get(key), list) and doc[key]


ENV_REF = re.compile(r"^\$__env\{[A-Z_][A-Z0-9_]*\}$")


def test_clickhouse_datasource_is_provisioned_with_password_from_env():
    doc = load_yaml(DATASOURCES_YAML)
    ch = [ds for ds in doc["datasources"] if ds["type"] == CH_PLUGIN]
    assert [ds["uid"] for ds in ch] == [CH_UID]
    ds = ch[0]
    assert ds["jsonData"]["protocol"] == "native" and ds["jsonData"]["port"] == 9000
    assert ds["jsonData"]["host"] and ds["jsonData"]["username"] == "casewatch_reader"
    assert ds["jsonData"]["defaultDatabase"] == SQL_DATABASE
    assert ds["secureJsonData"]["password"] == "$__env{CLICKHOUSE_READER_PASSWORD}"
    for source in doc["datasources"]:  # no literal secret anywhere
        for name, value in (source.get("secureJsonData") or {}).items():
            assert ENV_REF.match(str(value)), f"{source['uid']}.secureJsonData.{name} is a literal"
        assert "password" not in source and "basicAuthPassword" not in source


def _service_block(compose: str, name: str) -> str:
    """The lines of one service in compose.yaml, dedented (the file as a whole uses
    anchors and block scalars, beyond the subset parser)."""
    lines = compose.splitlines()
    start = lines.index(f"  {name}:")
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"^ {0,2}\S", lines[i])), len(lines)
    )
    return "\n".join(line[2:] for line in lines[start:end])


def test_compose_grafana_service_matches_provisioning():
    grafana = parse_yaml_subset(_service_block(COMPOSE.read_text(encoding="utf-8"), "grafana"))[
        "grafana"
    ]
    env = grafana["environment"]
    plugins = [p.strip().split()[0] for p in str(env["GF_INSTALL_PLUGINS"]).split(",")]
    assert CH_PLUGIN in plugins
    # the read-only user's password, from the host env
    assert env["CLICKHOUSE_READER_PASSWORD"].startswith("${CLICKHOUSE_READER_PASSWORD")
    assert "GF_PLUGINS_PREINSTALL" not in env  # one way to install the plugin
    mounts = {v.split(":")[0]: v.split(":")[1] for v in grafana["volumes"]}
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = load_yaml(DASHBOARDS_YAML)["providers"][0]
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert "clickhouse" in grafana["depends_on"]
