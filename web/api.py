"""JSON API of the console. Every handler runs behind the session middleware (web.auth)."""

import asyncio
import json
import logging
import time
from datetime import UTC, datetime

from aiohttp import web
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from schemas.warning_action import Action, ActorRole, WarningAction
from web import queries
from web.feed import iso, item_from_row
from web.loop import NotAllowed, available, check
from web.open_set import Item, OpenSet
from web.reader import Reader
from web.rules_info import event_labels, measure_labels, rules_info
from web.users import User

log = logging.getLogger(__name__)
SCREEN_CACHE_SECONDS = 5.0
PAGE_MAX = 500


def _error(cls, message: str):
    return cls(text=json.dumps({"error": message}, ensure_ascii=False),
               content_type="application/json")


class Api:
    def __init__(self, open_set: OpenSet, reader: Reader, actions_topic: str, tz: str):
        self.open_set = open_set
        self.reader = reader
        self.producer: AIOKafkaProducer | None = None  # started with the application
        self.actions_topic = actions_topic
        self.tz = tz
        self._screen: tuple[float, dict] | None = None
        self._acting = asyncio.Lock()  # one action at a time: the stage check stays valid

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/rules", self.rules),
            web.get("/api/warnings", self.warnings),
            web.get("/api/warnings/{wid}", self.explain),
            web.post("/api/warnings/{wid}/actions", self.act),
            web.get("/api/measures", self.measures),
            web.get("/api/screen", self.screen),
        ]

    async def rules(self, request: web.Request) -> web.Response:
        return web.json_response({"rules": rules_info(), "measures": measure_labels(),
                                  "events": event_labels(), "tz": self.tz}, dumps=_dumps)

    async def warnings(self, request: web.Request) -> web.Response:
        seq, rows = self.open_set.snapshot(request["user"].scope)
        return web.json_response({"seq": seq, "warnings": rows}, dumps=_dumps)

    async def _item(self, user: User, wid: str) -> Item:
        item = self.open_set.items.get(wid)
        if item is None:
            rows = await self.reader.execute(queries.latest_of(self.reader.db), {"wid": wid})
            if not rows:
                raise _error(web.HTTPNotFound, "no such warning")
            item = item_from_row(rows[0])
        if not user.sees(item.unit_id):
            raise _error(web.HTTPForbidden, "outside your units")
        return item

    async def explain(self, request: web.Request) -> web.Response:
        user: User = request["user"]
        wid = request.match_info["wid"]
        item = await self._item(user, wid)
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
        current = self.open_set.stage_of(wid)
        role = user.role
        return web.json_response({
            "warning": {**self.open_set.view(item), "evidence": list(item.evidence),
                        "late": item.late,  # the rule set of its latest state written
                        "catalogue_version": timeline[-1]["catalogue_version"] if timeline
                        else ""},
            "rule": rules_info().get(item.rule_id),
            "events": events,
            "measures": measures,
            "timeline": timeline,
            "actions": [json.loads(a.model_dump_json())
                        for a in self.open_set.actions.get(wid, ())],
            "can": available(role, current) if wid in self.open_set.items else [],
        }, dumps=_dumps)

    async def act(self, request: web.Request) -> web.Response:
        user: User = request["user"]
        wid = request.match_info["wid"]
        try:
            body = await request.json()
            action = Action(body["action"])
            note = str(body.get("note", "")).strip()
        except (ValueError, KeyError, TypeError):
            raise _error(web.HTTPBadRequest, "action and note expected") from None
        item = await self._item(user, wid)
        if user.role not in (ActorRole.unit, ActorRole.supervisor):
            raise _error(web.HTTPForbidden, "read-only role")
        async with self._acting:
            if wid not in self.open_set.items:
                raise _error(web.HTTPConflict, "the warning's loop is closed")
            try:
                check(action, user.role, self.open_set.stage_of(wid))
                record = WarningAction(
                    warning_id=wid, case_id=item.case_id, unit_id=item.unit_id,
                    rule_id=item.rule_id, action=action, note=note, actor_id=user.id,
                    actor_role=user.role, acted_at=datetime.now(UTC))
            except NotAllowed as exc:
                raise _error(web.HTTPConflict, str(exc)) from None
            except ValidationError as exc:
                raise _error(web.HTTPBadRequest, exc.errors()[0]["msg"]) from None
            await self.producer.send_and_wait(self.actions_topic, key=item.case_id.encode(),
                                              value=record.model_dump_json().encode())
            self.open_set.apply_action(record)
        log.info("action %s on %s by %s (%s)", action, wid, user.id, user.role)
        return web.json_response({"action": json.loads(record.model_dump_json()),
                                  "stage": self.open_set.stage_of(wid)}, status=201)

    async def measures(self, request: web.Request) -> web.Response:
        user: User = request["user"]
        q = request.query
        sort = q.get("sort", "due")
        if sort not in queries.MEASURE_SORTS:
            raise _error(web.HTTPBadRequest, f"sort must be one of {list(queries.MEASURE_SORTS)}")
        measure = q.get("measure") or None
        if measure is not None and measure not in measure_labels():
            raise _error(web.HTTPBadRequest, "unknown measure")
        try:
            limit = min(int(q.get("limit", 100)), PAGE_MAX)
            offset = int(q.get("offset", 0))
        except ValueError:
            raise _error(web.HTTPBadRequest, "limit and offset are integers") from None
        if limit < 1 or offset < 0:
            raise _error(web.HTTPBadRequest, "limit >= 1, offset >= 0")
        units = user.scope
        if q.get("unit"):
            if not user.sees(q["unit"]):
                raise _error(web.HTTPForbidden, "outside your units")
            units = frozenset({q["unit"]})
        params = {"units": tuple(sorted(units or ())), "measure": measure,
                  "limit": limit, "offset": offset}
        db = self.reader.db
        rows = await self.reader.execute(
            queries.measure_board(db, units is not None, measure is not None, sort), params)
        total = await self.reader.execute(
            queries.measure_board_count(db, units is not None, measure is not None), params)
        return web.json_response({
            "total": int(total[0][0]),
            "rows": [{"case": r[0], "person": r[1], "measure": r[2], "unit": r[3],
                      "since": iso(r[4]), "due": iso(r[5])} for r in rows],
        }, dumps=_dumps)

    async def screen(self, request: web.Request) -> web.Response:
        if self._screen is None or time.monotonic() - self._screen[0] > SCREEN_CACHE_SECONDS:
            self._screen = (time.monotonic(), await self._screen_data())
        return web.json_response(self._screen[1], dumps=_dumps)

    async def _screen_data(self) -> dict:
        by_unit_level: dict[str, dict[str, int]] = {}
        overdue = 0
        for item in self.open_set.items.values():
            levels = by_unit_level.setdefault(item.unit_id, {})
            levels[item.level] = levels.get(item.level, 0) + 1
            overdue += item.level == "overdue"
        db = self.reader.db
        since = int(time.time()) - 24 * 3600
        hourly = await self.reader.execute(queries.new_per_hour(db), {"since": since})
        counts = await self.reader.execute(queries.measure_counts(db))
        return {
            "open_by_unit_level": by_unit_level,
            "open_total": len(self.open_set.items),
            "overdue_now": overdue,
            "new_per_hour": [{"hour": iso(r[0]), "unit": r[1], "count": int(r[2])}
                             for r in hourly],
            "under_measure": {r[0]: int(r[1]) for r in counts},
            "at": iso(datetime.now(UTC)),
        }


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
