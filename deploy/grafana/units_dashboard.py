"""Write dashboards/casewatch-units.json from the white paper's own SQL.

    .venv/bin/python deploy/grafana/units_dashboard.py

Every panel's SQL is that of sinks/clickhouse/quality.py with the month's bounds computed
in SQL from the `month` variable, so the dashboard and the paper cannot drift apart;
tests/deploy/test_grafana_units.py checks the file equals what this writes and runs every
panel on ClickHouse 18.16 and current ClickHouse.
"""

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from report.paper import visit_rules  # noqa: E402
from sinks.clickhouse import quality  # noqa: E402

OUT = Path(__file__).with_name("dashboards") / "casewatch-units.json"
DB = "casewatch"
DATASOURCE = {"type": "grafana-clickhouse-datasource", "uid": "casewatch-clickhouse"}
MONTH = "${month:singlequote}"
START = f"toUInt32(toDateTime(concat({MONTH}, '-01 00:00:00'), 'Asia/Shanghai'))"
END = (f"toUInt32(toDateTime(concat(toString(addMonths(toDate(concat({MONTH}, '-01')), 1)), "
       "' 00:00:00'), 'Asia/Shanghai'))")
UNITS = "$__conditionalAll(unit_id IN (${unit:singlequote}), $unit)"
UNIT_NAME = ("unit_id", "单位 Unit")


def _sql(select: str, inner: str, where: str = "", order: str = "unit_id") -> str:
    condition = f"{where} AND {UNITS}" if where else UNITS
    return f"{select}\nFROM\n({inner})\nWHERE {condition}\nORDER BY {order}"


FIGURES = quality.unit_figures_sql(DB, START, END)
PANELS = [
    dict(
        type="table", title="单位月度指标 Unit figures of the month",
        description="所选月份各单位：应办（全部到期的办案时限，含未触发预警的）、按时、按时率、超期、"
                    "月末未结、违规、平均/P90 超时（小时，按月末计）/ Per unit for the chosen "
                    "month, every obligation counted; definitions in docs/quality.md.",
        grid=(9, 24, 0, 0), unit="short",
        names=[UNIT_NAME, ("due", "应办 Due"), ("met_on_time", "按时 On time"),
               ("on_time_rate", "按时率 On-time rate"), ("missed", "超期 Late"),
               ("still_open", "月末未结 Open at month end"), ("violations", "违规 Violations"),
               ("mean_late_h", "平均超时(时) Mean lateness (h)"),
               ("p90_late_h", "P90超时(时) p90 lateness (h)")],
        sql=_sql("SELECT unit_id, due, met_on_time,\n"
                 "       if(due = 0, NULL, round(met_on_time / due, 4)) AS on_time_rate,\n"
                 "       missed, still_open, violations,\n"
                 "       if(missed = 0, NULL, round(mean_late_s / 3600, 1)) AS mean_late_h,\n"
                 "       if(missed = 0, NULL, round(p90_late_s / 3600, 1)) AS p90_late_h",
                 FIGURES)),
    dict(
        type="bargauge", title="按时率排名 Ranking by on-time rate",
        description="本月有应办事项的单位，按按时办结率从高到低；综合得分排名见月度白皮书 / Units "
                    "with obligations due, best on-time rate first; the scored ranking is in "
                    "the white paper.",
        grid=(9, 8, 0, 9), unit="percentunit",
        names=[UNIT_NAME, ("on_time_rate", "按时率 On-time rate"), ("due", "应办 Due")],
        options={"orientation": "horizontal", "reduceOptions": {
            "values": True, "calcs": [], "fields": "/^on_time_rate$/"}, "displayMode": "basic"},
        sql=_sql("SELECT unit_id, round(met_on_time / due, 4) AS on_time_rate, due", FIGURES,
                 "due > 0", "on_time_rate DESC, unit_id")),
    dict(
        type="barchart", title="超时时长（小时）Lateness, hours",
        description="超期事项的平均与 P90 超时，按月末计 / Mean and p90 lateness of the month's "
                    "late obligations, as of month end.",
        grid=(9, 8, 8, 9), unit="h",
        names=[UNIT_NAME, ("mean_late_h", "平均 Mean"), ("p90_late_h", "P90")],
        options={"xField": "unit_id", "orientation": "horizontal"},
        sql=_sql("SELECT unit_id, round(mean_late_s / 3600, 1) AS mean_late_h, "
                 "round(p90_late_s / 3600, 1) AS p90_late_h", FIGURES, "missed > 0")),
    dict(
        type="table", title="整改用时（小时）Rectification turnaround, hours",
        description="问题（超期、违规与各类检查发现的问题）发生至首次整改的平均小时数，"
                    "按各自的处置记录 / From a problem of any source arising to its own "
                    "first rectify action.",
        grid=(9, 8, 16, 9), unit="short",
        names=[UNIT_NAME, ("rectified", "已整改 Rectified"),
               ("mean_turnaround_h", "平均用时(时) Mean (h)")],
        sql=_sql("SELECT unit_id, rectified, round(mean_turnaround_s / 3600, 1) "
                 "AS mean_turnaround_h", quality.turnaround_sql(DB, START, END))),
    dict(
        type="table", title="月末仍超期 Still overdue at month end",
        description="所选月末仍未办结的超期事项（含以前月份到期）/ Obligations overdue and not "
                    "closed at the end of the chosen month, whatever month they were due.",
        grid=(9, 12, 0, 18), unit="short",
        names=[UNIT_NAME, ("case_id", "案件 Case"), ("rule_id", "规则 Rule"),
               ("due_at", "到期 Due"), ("late_h", "月末已超时(时) Late at month end (h)")],
        sql=_sql("SELECT unit_id, case_id, rule_id, toDateTime(due_ts, 'Asia/Shanghai') AS due_at,"
                 "\n       round(lateness_s / 3600, 1) AS late_h",
                 quality.open_at_end_sql(DB, START, END), order="due_at, unit_id, case_id")),
    dict(
        type="table", title="高发问题规则 Most broken rules",
        description="所选月份问题（超期与违规）最多的规则 / Rules with the most problems (late "
                    "obligations and violations) in the month.",
        grid=(9, 12, 12, 18), unit="short",
        names=[("rule_id", "规则 Rule"), ("problems", "问题 Problems"),
               ("violations", "违规 Violations")],
        sql=(f"SELECT code AS rule_id, count() AS problems, countIf(kind = 'violation') AS "
             f"violations\nFROM\n({quality.problems_sql(DB, START, END)})\n"
             f"WHERE source = 'platform' AND {UNITS}\nGROUP BY code\n"
             "ORDER BY problems DESC, rule_id\nLIMIT 10")),
    dict(
        type="table", title="各来源问题 Problems by source",
        description="所选月份各单位按来源的问题数：平台预警（超期与违规）、单位自查、交叉检查、网上巡查、"
                    "案件评查、社会化访评 / The month's problems per unit and source.",
        grid=(9, 12, 0, 27), unit="short",
        names=[("source", "来源 Source"), UNIT_NAME, ("problems", "问题 Problems")],
        sql=_sql("SELECT source, unit_id, problems", quality.source_counts_sql(DB, START, END),
                 order="source, problems DESC, unit_id")),
    dict(
        type="table", title="检查发现问题月末未结 Found problems open at month end",
        description="各类检查发现、月末尚未核查通过的问题（含以前月份发现的）/ Problems found by "
                    "inspections and not verified by the end of the month, whatever month.",
        grid=(9, 12, 12, 27), unit="short",
        names=[("source", "来源 Source"), UNIT_NAME, ("open", "未结 Open")],
        sql=_sql("SELECT source, unit_id, open", quality.open_problems_sql(DB, END),
                 order="source, unit_id")),
    dict(
        type="table", title="社会化访评 Satisfaction visits",
        description="应访（本月到期的回访时限）、已访、回访结果、回复率（回复 ÷ 结果）、"
                    "满意率（满意与基本满意 ÷ 回复）/ Visits due, made, results, reply and "
                    "satisfaction rates.",
        grid=(9, 24, 0, 36), unit="short",
        names=[UNIT_NAME, ("due", "应访 Due"), ("made", "已访 Made"), ("results", "结果 Results"),
               ("replied", "回复 Replied"), ("reply_rate", "回复率 Reply rate"),
               ("satisfied", "满意 Satisfied"), ("basically", "基本满意 Basically"),
               ("unsatisfied", "不满意 Unsatisfied"), ("satisfaction_rate", "满意率 Satisfaction")],
        sql=_sql("SELECT unit_id, due, made, results, replied,\n"
                 "       if(results = 0, NULL, round(replied / results, 4)) AS reply_rate,\n"
                 "       satisfied, basically, unsatisfied,\n"
                 "       if(replied = 0, NULL, round((satisfied + basically) / replied, 4))"
                 " AS satisfaction_rate",
                 quality.visits_sql(DB, START, END, visit_rules()))),
]

MONTHS = (f"SELECT DISTINCT month FROM (\n"
          f"    SELECT substring(toString(toDate(due_at)), 1, 7) AS month FROM {DB}.obligations "
          "FINAL\n"
          f"    UNION ALL SELECT substring(toString(toDate(changed_at)), 1, 7) FROM "
          f"{DB}.warning_history\n"
          f"    UNION ALL SELECT substring(toString(toDate(found_at)), 1, 7) FROM {DB}.problems "
          "FINAL\n) ORDER BY month DESC")


def _panel(i: int, spec: dict) -> dict:
    h, w, x, y = spec["grid"]
    return {
        "id": i, "type": spec["type"], "title": spec["title"],
        "description": spec["description"], "datasource": DATASOURCE,
        "gridPos": {"h": h, "w": w, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": spec["unit"]}, "overrides": [
            {"matcher": {"id": "byName", "options": col},
             "properties": [{"id": "displayName", "value": name}]}
            for col, name in spec["names"]]},
        "options": spec.get("options", {}),
        "targets": [{"refId": "A", "datasource": DATASOURCE, "editorType": "sql",
                     "queryType": "table", "format": 1, "pluginVersion": "4.0.0",
                     "rawSql": spec["sql"].strip()}],
    }


def _variable(name: str, label: str, sql: str, **extra) -> dict:
    return {"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
            "query": sql, "definition": sql, "refresh": 1, "options": [], "hide": 0, **extra}


def dashboard() -> dict:
    return {
        "uid": "casewatch-units",
        "title": "单位执法质量 casewatch units",
        "description": "领导用：各单位按月的按时率、超时、整改、各来源问题、社会化访评 / "
                       "For leaders: per unit and month. Figures as in the monthly white "
                       "paper (docs/quality.md).",
        "tags": ["casewatch"], "schemaVersion": 39, "version": 1, "editable": False,
        "refresh": "", "time": {"from": "now-90d", "to": "now"}, "timezone": "Asia/Shanghai",
        "templating": {"list": [
            _variable("month", "月份 Month", MONTHS, multi=False, includeAll=False, sort=0),
            _variable("unit", "单位 Unit", quality.units_sql(DB).strip(), multi=True,
                      includeAll=True, current={"selected": True, "text": ["All"],
                                                "value": ["$__all"]}, sort=1),
        ]},
        "annotations": {"list": []},
        "panels": [_panel(i, spec) for i, spec in enumerate(PANELS, start=1)],
    }


def render() -> str:
    return json.dumps(dashboard(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
