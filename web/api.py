"""JSON API of the console: the work queue (the open set: warnings and problems), the
warnings' explanations and loop, the measure board, the big screen's figures and the
units. Every handler runs behind the session middleware (web.auth); a record outside the
user's scope answers exactly like an unknown one (404). Problems' own routes:
web/problem_api.py."""

import json
import logging
import time
from datetime import UTC, datetime

from aiohttp import web

from schemas.warning_action import Action, ActorRole, WarningAction
from web import queries
from web.acting import Acting
from web.context import Context
from web.errors import error
from web.feed import iso, item_from_row
from web.loop import available
from web.open_set import PROBLEM, WARNING, Item
from web.rules_info import event_labels, measure_labels, rules_info
from web.scope import Scope

log = logging.getLogger(__name__)
SCREEN_CACHE_SECONDS = 5.0
PAGE_MAX = 500


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Api:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.open_set = ctx.open_set
        self.reader = ctx.reader
        self._screen: dict[str, tuple[float, dict]] = {}
        self.acting = Acting(ctx)

    def register(self) -> None:
        self.ctx.add_routes([
            web.get("/api/rules", self.rules),
            web.get("/api/units", self.units),
            web.get("/api/warnings", self.warnings),
            web.get("/api/warnings/{wid}", self.explain),
            web.post("/api/warnings/{wid}/actions", self.act),
            web.get("/api/measures", self.measures),
            web.get("/api/screen", self.screen),
        ])
        self.ctx.page("/", "list.html", nav=("warnings", "预警", "Warnings"))
        self.ctx.page("/warning/{wid}", "warning.html")
        self.ctx.page("/measures", "measures.html", nav=("measures", "强制措施", "Measures"))

    async def rules(self, request: web.Request) -> web.Response:
        return web.json_response({"rules": rules_info(), "measures": measure_labels(),
                                  "events": event_labels(), "tz": self.ctx.settings.tz},
                                 dumps=dumps)

    async def units(self, request: web.Request) -> web.Response:
        """Every registered unit the user's scope covers, and the unit ids of the open
        items in scope (registered or not), each described."""
        scope: Scope = request["scope"]
        registry = self.ctx.units()
        ids = {i.unit_id for i in self.open_set.in_scope(scope)}
        ids |= {u for u in registry.units if scope.covers(u)}
        return web.json_response({"units": {u: registry.describe(u) for u in sorted(ids)}},
                                 dumps=dumps)

    async def warnings(self, request: web.Request) -> web.Response:
        """The work queue: every open item in scope, warnings and problems (`kind`)."""
        seq, rows = self.open_set.snapshot(request["scope"])
        return web.json_response({"seq": seq, "warnings": rows}, dumps=dumps)

    async def item(self, scope: Scope, wid: str) -> Item:
        """The warning's latest state, open or closed; 404 if unknown or out of scope."""
        item = self.open_set.items.get((WARNING, wid))
        if item is None:
            rows = await self.reader.execute(queries.latest_of(self.reader.db), {"wid": wid})
            item = item_from_row(rows[0]) if rows else None
        if item is None or not scope.covers(item.unit_id):
            raise error(web.HTTPNotFound, "not_found")
        return item

    async def explain(self, request: web.Request) -> web.Response:
        wid = request.match_info["wid"]
        item = await self.item(request["scope"], wid)
        await self.ctx.access.record(request, "read_warning", target=wid, case_id=item.case_id,
                                     person_id=item.person_id or "", unit_id=item.unit_id,
                                     rows=1)
        db = self.reader.db
        events = []
        if item.evidence:
            rows = await self.reader.execute(queries.evidence_events(db),
                                             {"case": item.case_id, "ids": item.evidence})
            events = [{"id": r[0], "type": r[1], "at": iso(r[2]), "person": r[3] or None}
                      for r in rows]
        measures = []
        if item.person_id:
            rows = await self.reader.execute(queries.person_measures(db),
                                             {"case": item.case_id, "person": item.person_id})
            measures = [{"measure": r[0], "active": bool(r[1]), "since": iso(r[2]),
                         "until": iso(r[3]), "due": iso(r[4])} for r in rows]
        rows = await self.reader.execute(queries.timeline(db), {"wid": wid})
        timeline = [{"at": iso(r[0]), "level": r[1], "status": r[2], "due": iso(r[3]),
                     "resolved": iso(r[4]), "late": None if r[5] is None else bool(r[5]),
                     "catalogue_version": r[6]}
                    for r in rows]
        current = self.open_set.stage_of(item.key)
        return web.json_response({
            "warning": {**self.open_set.view(item), "evidence": list(item.evidence),
                        "late": item.late,  # the rule set of its latest state written
                        "catalogue_version": timeline[-1]["catalogue_version"] if timeline
                        else ""},
            "unit": self.ctx.units().describe(item.unit_id),
            "rule": rules_info().get(item.rule_id),
            "events": events,
            "measures": measures,
            "timeline": timeline,
            "actions": [json.loads(a.model_dump_json())
                        for a in self.open_set.actions_of(item.key)],
            "can": available(request["user"].role, current)
            if item.key in self.open_set.items else [],
        }, dumps=dumps)

    async def act(self, request: web.Request) -> web.Response:
        user = request["user"]
        wid = request.match_info["wid"]
        try:
            body = await request.json()
            action = Action(body["action"])
            note = str(body.get("note", "")).strip()
        except (ValueError, KeyError, TypeError):
            raise error(web.HTTPBadRequest, "action_expected") from None
        item = await self.item(request["scope"], wid)
        if user.role not in (ActorRole.unit, ActorRole.supervisor):
            raise error(web.HTTPForbidden, "forbidden")

        def record(step: int) -> WarningAction:
            return WarningAction(
                warning_id=wid, case_id=item.case_id, unit_id=item.unit_id,
                rule_id=item.rule_id, action=action, note=note, actor_id=user.id,
                actor_role=user.role, acted_at=datetime.now(UTC), step=step)

        return await self.acting.act(user, item.key, action, self.ctx.actions_topic,
                                     item.case_id, record)

    async def measures(self, request: web.Request) -> web.Response:
        scope: Scope = request["scope"]
        q = request.query
        sort = q.get("sort", "due")
        if sort not in queries.MEASURE_SORTS:
            raise error(web.HTTPBadRequest, "bad_query", f"sort: {list(queries.MEASURE_SORTS)}")
        measure = q.get("measure") or None
        if measure is not None and measure not in measure_labels():
            raise error(web.HTTPBadRequest, "bad_query", "unknown measure")
        try:
            limit = min(int(q.get("limit", 100)), PAGE_MAX)
            offset = int(q.get("offset", 0))
        except ValueError:
            raise error(web.HTTPBadRequest, "bad_query", "limit and offset") from None
        if limit < 1 or offset < 0:
            raise error(web.HTTPBadRequest, "bad_query", "limit >= 1, offset >= 0")
        units = scope.unit_ids()
        if q.get("unit"):
            if not scope.covers(q["unit"]):
                raise error(web.HTTPForbidden, "forbidden")
            units = tuple(sorted(self.ctx.units().subtree(q["unit"])))
        params = {"units": units or (), "measure": measure, "limit": limit, "offset": offset}
        db = self.reader.db
        rows = await self.reader.execute(
            queries.measure_board(db, units is not None, measure is not None, sort), params)
        total = await self.reader.execute(
            queries.measure_board_count(db, units is not None, measure is not None), params)
        await self.ctx.access.record(request, "read_measures", target=request.path_qs,
                                     rows=len(rows))
        registry = self.ctx.units()
        return web.json_response({
            "total": int(total[0][0]),
            "rows": [{"case": r[0], "person": r[1], "measure": r[2], "unit": r[3],
                      "unit_name": registry.name(r[3]), "since": iso(r[4]), "due": iso(r[5])}
                     for r in rows],
        }, dumps=dumps)

    async def screen(self, request: web.Request) -> web.Response:
        """Aggregate figures only (no case, person or warning id), for the user's scope;
        system warnings and open problems are counted apart, never in the warnings'
        figures of a unit."""
        scope: Scope = request["scope"]
        cached = self._screen.get(scope.key())
        if cached is None or time.monotonic() - cached[0] > SCREEN_CACHE_SECONDS:
            cached = (time.monotonic(), await self._screen_data(scope))
            self._screen[scope.key()] = cached
        return web.json_response(cached[1], dumps=dumps)

    async def _screen_data(self, scope: Scope) -> dict:
        by_unit_level: dict[str, dict[str, int]] = {}
        overdue = total = system = problems = 0
        for item in self.open_set.in_scope(scope):
            if item.kind == PROBLEM:
                problems += 1
                continue
            if item.rule_kind == "system":
                system += 1
                continue
            levels = by_unit_level.setdefault(item.unit_id, {})
            levels[item.level] = levels.get(item.level, 0) + 1
            overdue += item.level == "overdue"
            total += 1
        db = self.reader.db
        units = scope.unit_ids()
        params = {"since": int(time.time()) - 24 * 3600, "units": units or ()}
        hourly = await self.reader.execute(queries.new_per_hour(db, units is not None), params)
        counts = await self.reader.execute(queries.measure_counts(db, units is not None),
                                           params)
        registry = self.ctx.units()
        return {
            "open_by_unit_level": by_unit_level,
            "unit_names": {u: registry.name(u) for u in by_unit_level},
            "open_total": total,
            "overdue_now": overdue,
            "system_open": system,
            "problems_open": problems,
            "new_per_hour": [{"hour": iso(r[0]), "unit": r[1], "count": int(r[2])}
                             for r in hourly],
            "under_measure": {r[0]: int(r[1]) for r in counts},
            "at": iso(datetime.now(UTC)),
        }
