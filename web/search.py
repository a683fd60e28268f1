"""Search by case or person id prefix across open and closed warnings in the user's scope:
open ones from the open set, closed ones from ClickHouse `warning_history`. Recorded in
the access log. GET /api/search?q=PREFIX[&closed=0]."""

from aiohttp import web

from web import queries
from web.context import Context
from web.errors import error
from web.feed import item_from_row

LIMIT = 200


def register(ctx: Context) -> None:
    async def search(request: web.Request) -> web.Response:
        q = request.query.get("q", "").strip()
        if len(q) < 2:
            raise error(web.HTTPBadRequest, "query_too_short")
        if len(q) > 64:
            raise error(web.HTTPBadRequest, "bad_query")
        scope = request["scope"]
        found = {i.warning_id: ctx.open_set.view(i) for i in ctx.open_set.in_scope(scope)
                 if i.case_id.startswith(q) or (i.person_id or "").startswith(q)}
        if request.query.get("closed", "1") != "0":
            units = scope.unit_ids()
            rows = await ctx.reader.execute(
                queries.search_closed(ctx.reader.db, units is not None),
                {"q": q, "units": units or (), "limit": LIMIT})
            for row in rows:
                item = item_from_row(row)
                if item.warning_id not in found and scope.covers(item.unit_id):
                    found[item.warning_id] = {**ctx.open_set.view(item), "closed": True}
        results = sorted(found.values(), key=lambda w: (w["case"], w["id"]))[:LIMIT]
        await ctx.access.record(request, "search", target=q, rows=len(results))
        return web.json_response({"q": q, "results": results, "limit": LIMIT})

    ctx.add_routes([web.get("/api/search", search)])
