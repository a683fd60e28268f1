"""Export of the current view of the work queue (web/views.py: warnings and problems) as
CSV or Excel, with the same scope as the page, recorded in the access log.
GET /api/export?format=csv|xlsx&<view parameters>. A problem's row has its type where a
warning's has its rule, and its source (a warning's is the platform's).

Cells are data, never formulas: the CSV prefixes a text cell that a spreadsheet would
evaluate (= + - @, tab, CR) with an apostrophe; the .xlsx is written with XlsxWriter with
every text cell written as a string."""

import csv
import io
import time
from datetime import datetime

import xlsxwriter
from aiohttp import web

from schemas.problem import SOURCE_ZH
from web.context import Context
from web.errors import error
from web.rules_info import rules_info
from web.views import BadView, View, select

HEADER = ("类型 kind", "级别 level", "规则 rule", "案件编号 case", "人员编号 person",
          "单位编号 unit", "单位名称 unit name", "期限 due", "剩余小时 hours left",
          "处置阶段 stage", "内容 message", "来源 source", "编号 id")
LEVELS = {"system": "系统", "violation": "违规", "overdue": "超期", "approaching": "临期",
          "problem": "问题"}
STAGES = {"new": "待确认", "acknowledged": "已确认", "rectified": "已整改待核查",
          "verified": "核查通过", "returned": "已退回"}
KINDS = {"warning": "预警", "problem": "问题"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows_of(ctx: Context, request: web.Request, view: View) -> list[tuple]:
    scope = request["scope"]
    registry = ctx.units()
    rules = rules_info()
    now = time.time()
    items = select(ctx.open_set.in_scope(scope), view, ctx.open_set.stage_of,
                   lambda rule: (rules.get(rule) or {}).get("measure"),
                   lambda parent, unit: registry.covers({parent}, unit), now)
    out = []
    for i in items:
        due = datetime.fromisoformat(i.due_at).timestamp() if i.due_at else None
        title = i.title_zh or (rules.get(i.rule_id) or {}).get("title_zh", i.rule_id)
        out.append((KINDS.get(i.kind, i.kind), LEVELS.get(i.level, i.level), title,
                    i.case_id, i.person_id or "", i.unit_id, registry.name(i.unit_id),
                    i.due_at or "", "" if due is None else round((due - now) / 3600, 1),
                    STAGES.get(ctx.open_set.stage_of(i.key), ""), i.message_zh,
                    SOURCE_ZH.get(i.source, i.source), i.id))
    return out


def safe_text(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def as_csv(rows: list[tuple]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows([safe_text(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def as_xlsx(rows: list[tuple]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("预警 warnings")
    bold = book.add_format({"bold": True})
    for col, title in enumerate(HEADER):
        sheet.write_string(0, col, title, bold)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def register(ctx: Context) -> None:
    async def export(request: web.Request) -> web.Response:
        fmt = request.query.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            raise error(web.HTTPBadRequest, "bad_query", "format: csv or xlsx")
        try:
            view = View.parse(request.query)
        except (BadView, TypeError):
            raise error(web.HTTPBadRequest, "bad_query") from None
        rows = rows_of(ctx, request, view)
        await ctx.access.record(request, "export", target=f"{fmt}?{view.query()}"[:512],
                                rows=len(rows))
        stamp = datetime.now().strftime("%Y%m%d-%H%M")  # noqa: DTZ005  a file name only
        if fmt == "csv":
            data, mime = as_csv(rows), "text/csv; charset=utf-8"
        else:
            data = as_xlsx(rows)
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return web.Response(body=data, headers={
            "Content-Type": mime, "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="casewatch-{stamp}.{fmt}"'})

    ctx.add_routes([web.get("/api/export", export)])
