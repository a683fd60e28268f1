"""The audit page (supervisors only): who read which warning or person, exported what,
logged in or failed to, filtered by actor, action, target (warning, case or person id),
address and time. Reading it is recorded too. GET /audit, GET /api/audit."""

from datetime import datetime

from aiohttp import web

from web import queries
from web.context import Context
from web.errors import error
from web.feed import iso

PAGE_MAX = 200


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def register(ctx: Context) -> None:
    async def audit(request: web.Request) -> web.Response:
        if request["user"].role != "supervisor":
            raise error(web.HTTPForbidden, "forbidden")
        q = request.query
        params: dict = {}
        try:
            for name in ("actor", "action", "target", "address"):
                if q.get(name):
                    params[name] = q[name][:128]
            for name in ("since", "until"):
                if q.get(name):
                    params[name] = _epoch(q[name])
            limit = min(int(q.get("limit", 50)), PAGE_MAX)
            offset = int(q.get("offset", 0))
        except ValueError:
            raise error(web.HTTPBadRequest, "bad_query") from None
        if limit < 1 or offset < 0:
            raise error(web.HTTPBadRequest, "bad_query")
        filters = list(params)
        params |= {"limit": limit, "offset": offset}
        db = ctx.reader.db
        rows = await ctx.reader.execute(queries.audit_page(db, filters), params)
        total = await ctx.reader.execute(queries.audit_count(db, filters), params)
        await ctx.access.record(request, "read_audit", target=request.query_string[:512],
                                rows=len(rows))
        out = [dict(zip(queries.AUDIT_COLUMNS, r, strict=True)) for r in rows]
        for row in out:
            row["at"] = iso(row["at"])
            row["rows"] = int(row["rows"])
        return web.json_response({"total": int(total[0][0]), "rows": out})

    ctx.add_routes([web.get("/api/audit", audit)])
    ctx.page("/audit", "audit.html", roles={"supervisor"}, nav=("audit", "审计", "Audit"))
