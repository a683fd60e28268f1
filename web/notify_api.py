"""The notifier's console API: the delivery log (what was sent to whom, what failed, retry)
and silences (list, create, end early). Supervisors only; every route sits behind the
session middleware (web/auth.py). A retry or a silence is a command on the
notify-commands topic (schemas/notify_command.py): the notifier applies it, the sink
audits it in ClickHouse `notify_audit`.
"""

import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from pydantic import ValidationError

from schemas.notify_command import NotifyCommand
from schemas.silence import Silence
from web import notify_queries as q
from web.feed import iso
from web.reader import Reader

log = logging.getLogger(__name__)
PAGE_MAX = 200
STATUSES = ("", "sent", "retrying", "failed")
MAX_SILENCE_HOURS = 24 * 30


def _error(cls, message: str):
    return cls(text=json.dumps({"error": message}, ensure_ascii=False),
               content_type="application/json")


def _supervisor(request: web.Request):
    user = request["user"]
    if user.role != "supervisor":
        raise _error(web.HTTPForbidden, "supervisors only")
    return user


def _epoch_is_none(value):
    """ClickHouse 18.16 fills an unmatched LEFT JOIN with the epoch, not NULL."""
    text = iso(value)
    return None if text is None or text.startswith("1970-01-01") else text


class NotifyApi:
    def __init__(self, reader: Reader, commands_topic: str, producer: Callable[[], object]):
        self.reader = reader
        self.topic = commands_topic
        self.producer = producer  # the console's producer, started with the application

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/notify/deliveries", self.deliveries),
            web.post("/api/notify/deliveries/{nid}/retry", self.retry),
            web.get("/api/notify/silences", self.silences),
            web.post("/api/notify/silences", self.create_silence),
            web.post("/api/notify/silences/{sid}/expire", self.expire),
        ]

    async def deliveries(self, request: web.Request) -> web.Response:
        _supervisor(request)
        query = request.query
        try:
            params = {"status": query.get("status", ""), "receiver": query.get("receiver", ""),
                      "unit": query.get("unit", ""),
                      "limit": min(int(query.get("limit", 50)), PAGE_MAX),
                      "offset": int(query.get("offset", 0))}
        except ValueError:
            raise _error(web.HTTPBadRequest, "limit and offset are integers") from None
        if params["status"] not in STATUSES or params["limit"] < 1 or params["offset"] < 0:
            raise _error(web.HTTPBadRequest, f"status one of {list(STATUSES)}, limit >= 1, "
                         "offset >= 0")
        db = self.reader.db
        rows = await self.reader.execute(q.deliveries(db), params)
        [(total,)] = await self.reader.execute(q.deliveries_count(db), params)
        out = []
        for row in rows:
            d = dict(zip(q.DELIVERY_COLUMNS, row, strict=True))
            out.append({**d, "subjects": list(d["subjects"]), "changes": list(d["changes"]),
                        "created_at": iso(d["created_at"]), "last_at": iso(d["last_at"])})
        return web.json_response({"total": int(total), "rows": out}, dumps=_dumps)

    async def retry(self, request: web.Request) -> web.Response:
        user = _supervisor(request)
        nid = request.match_info["nid"]
        rows = await self.reader.execute(q.delivery_status(self.reader.db), {"nid": nid})
        if not rows or rows[0][0] in ("", None):
            raise _error(web.HTTPNotFound, "no such notification")
        if rows[0][0] != "failed":
            raise _error(web.HTTPConflict, f"only a failed notification is retried "
                                           f"(this one is {rows[0][0]})")
        try:
            command = NotifyCommand(command="retry", actor_id=user.id, actor_role="supervisor",
                                    at=datetime.now(UTC), notification_id=nid)
        except ValidationError:
            raise _error(web.HTTPBadRequest, "bad notification id") from None
        await self._send(command)
        return web.json_response({"command": json.loads(command.model_dump_json())},
                                 status=202, dumps=_dumps)

    async def silences(self, request: web.Request) -> web.Response:
        _supervisor(request)
        now = datetime.now(UTC)
        out = []
        for row in await self.reader.execute(q.silences(self.reader.db)):
            d = dict(zip(q.SILENCE_COLUMNS, row, strict=True))
            item = {k: (d[k] or None) for k in ("silence_id", "rule_id", "unit_id", "case_id",
                                                 "reason", "created_by")}
            item.update(starts_at=iso(d["starts_at"]), ends_at=iso(d["ends_at"]),
                        created_at=iso(d["created_at"]),
                        expired_at=_epoch_is_none(d["expired_at"]),
                        expired_by=d["expired_by"] or None)
            end = item["expired_at"] or item["ends_at"]
            item["active"] = (item["starts_at"] <= iso(now) < end) if end else False
            out.append(item)
        return web.json_response({"silences": out}, dumps=_dumps)

    async def create_silence(self, request: web.Request) -> web.Response:
        user = _supervisor(request)
        try:
            body = await request.json()
            hours = float(body.get("hours", 0))
            fields = {k: (str(body[k]).strip() or None) if body.get(k) else None
                      for k in ("rule_id", "unit_id", "case_id")}
            reason = str(body.get("reason", ""))
        except (ValueError, TypeError, AttributeError):
            raise _error(web.HTTPBadRequest, "rule_id/unit_id/case_id, hours and reason "
                                             "expected") from None
        if not 0 < hours <= MAX_SILENCE_HOURS:
            raise _error(web.HTTPBadRequest, f"hours between 0 and {MAX_SILENCE_HOURS}")
        now = datetime.now(UTC).replace(microsecond=0)
        try:
            silence = Silence(silence_id=uuid.uuid4().hex, **fields, starts_at=now,
                              ends_at=now + timedelta(hours=hours), reason=reason,
                              created_by=user.id, created_at=now)
            command = NotifyCommand(command="silence", actor_id=user.id,
                                    actor_role="supervisor", at=now, silence=silence)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"] if p != "silence")
            message = first["msg"].removeprefix("Value error, ")
            raise _error(web.HTTPBadRequest, f"{where}: {message}" if where else message
                         ) from None
        await self._send(command)
        log.info("silence %s by %s: %s", silence.silence_id, user.id, fields)
        return web.json_response({"silence": json.loads(silence.model_dump_json())},
                                 status=201, dumps=_dumps)

    async def expire(self, request: web.Request) -> web.Response:
        user = _supervisor(request)
        try:
            command = NotifyCommand(command="expire", actor_id=user.id,
                                    actor_role="supervisor", at=datetime.now(UTC),
                                    silence_id=request.match_info["sid"])
        except ValidationError:
            raise _error(web.HTTPBadRequest, "bad silence id") from None
        await self._send(command)
        return web.json_response({"command": json.loads(command.model_dump_json())},
                                 status=202, dumps=_dumps)

    async def _send(self, command: NotifyCommand) -> None:
        await self.producer().send_and_wait(self.topic, key=command.key.encode(),
                                            value=command.model_dump_json().encode())


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def register(ctx) -> None:
    """The notifier's two pages and their API, for supervisors (web/server.py MODULES)."""
    api = NotifyApi(ctx.reader, ctx.settings.topic("notify-commands"), lambda: ctx.producer)
    ctx.add_routes(api.routes())
    ctx.page("/notify", "notify.html", roles={"supervisor"},
             nav=("delivery", "推送记录", "Deliveries"))
    ctx.page("/silences", "silences.html", roles={"supervisor"},
             nav=("silences", "静默", "Silences"))
