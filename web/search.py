"""Search by case or person id prefix across the open and closed items of the work queue in
the user's scope: open warnings and problems from the open set, closed warnings from
ClickHouse `warning_history`, closed problems from the problems the console holds.
Recorded in the access log. GET /api/search?q=PREFIX[&closed=0]."""

from aiohttp import web

from web import queries
from web.context import Context
from web.errors import error
from web.feed import item_from_row
from web.open_set import Item

LIMIT = 200


def register(ctx: Context) -> None:
    def matches(item: Item, q: str) -> bool:
        return item.case_id.startswith(q) or (item.person_id or "").startswith(q)

    async def search(request: web.Request) -> web.Response:
        q = request.query.get("q", "").strip()
        if len(q) < 2:
            raise error(web.HTTPBadRequest, "query_too_short")
        if len(q) > 64:
            raise error(web.HTTPBadRequest, "bad_query")
        scope = request["scope"]
        found = {i.key: ctx.open_set.view(i) for i in ctx.open_set.in_scope(scope)
                 if matches(i, q)}
        if request.query.get("closed", "1") != "0":
            units = scope.unit_ids()
            rows = await ctx.reader.execute(
                queries.search_closed(ctx.reader.db, units is not None),
                {"q": q, "units": units or (), "limit": LIMIT})
            closed = [item_from_row(row) for row in rows]  # matched by the query
            closed += [i for i in map(ctx.problems.item_of, ctx.problems.problems.values())
                       if matches(i, q)]
            for item in closed:
                if item.key not in found and scope.covers(item.unit_id):
                    found[item.key] = {**ctx.open_set.view(item), "closed": True}
        results = sorted(found.values(), key=lambda w: (w["case"], w["kind"], w["id"]))[:LIMIT]
        await ctx.access.record(request, "search", target=q, rows=len(results))
        return web.json_response({"q": q, "results": results, "limit": LIMIT})

    ctx.add_routes([web.get("/api/search", search)])
