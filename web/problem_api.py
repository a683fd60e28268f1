"""JSON API of the console for problems (docs/web.md, "Problems"), shaped like the warning
API: list, explain, act; plus the form's entry, the catalogue it picks from, the case
lookup and the export. Every handler runs behind the session middleware (web.auth).

Who may do what: inspectors and supervisors enter problems for any unit, a unit's staff
its own units' self-check findings; the loop is a warning's (web/loop.py): units
acknowledge and rectify, supervisors verify or return; inspectors and the big screen
only read. Every entry and action goes to Kafka first (problems, problem-actions): what the
console shows is what the topics hold.
"""

import asyncio
import csv
import io
import json
import logging
import uuid
from datetime import UTC, datetime

from aiohttp import web
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from rules.problem_entry import InvalidProblem, accept_problem
from rules.problem_types import problem_types
from schemas.problem import ENTERED_SOURCES, SOURCE_ZH, FinderRole, ProblemSource
from schemas.problem_action import ProblemAction
from schemas.timefmt import format_cst
from schemas.warning_action import Action, ActorRole
from web.api import _dumps, _error
from web.feed import iso
from web.loop import NotAllowed, available, check
from web.problem_set import VERIFIED, ProblemSet
from web.reader import Reader
from web.users import User

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
ENTERING_ROLES = {"inspector": FinderRole.inspector, "supervisor": FinderRole.supervisor,
                  "unit": FinderRole.unit}
EXPORT_COLUMNS = ("problem_id", "source", "unit_id", "case_id", "person_id", "problem_type",
                  "title_zh", "found_by", "found_by_role", "found_at", "stage", "last_action",
                  "last_acted_at", "description")


def case_events(db: str) -> str:
    from sinks.clickhouse.migrate import check_identifier

    return f"""
SELECT unit_id, person_id, event_type, occurred_at
FROM {check_identifier(db)}.events FINAL
WHERE case_id = %(case)s
ORDER BY occurred_at, event_id
LIMIT 1000
"""


class ProblemApi:
    def __init__(self, problems: ProblemSet, reader: Reader, entry_topic: str,
                 actions_topic: str):
        self.problems = problems
        self.reader = reader
        self.producer: AIOKafkaProducer | None = None  # started with the application
        self.entry_topic = entry_topic
        self.actions_topic = actions_topic
        self._acting = asyncio.Lock()  # one action at a time: the stage check stays valid

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/problem-types", self.types),
            web.get("/api/problems", self.list),
            web.post("/api/problems", self.enter),
            web.get("/api/problems/export", self.export),
            web.get("/api/problems/{pid}", self.explain),
            web.post("/api/problems/{pid}/actions", self.act),
            web.get("/api/cases/{case}", self.case),
        ]

    async def types(self, request: web.Request) -> web.Response:
        catalogue = problem_types()
        return web.json_response({
            "categories": {c.code: {"zh": c.title_zh, "en": c.title_en}
                           for c in catalogue.categories.values()},
            "types": [{"code": t.code, "title_zh": t.title_zh, "title_en": t.title_en,
                       "category": t.category, "points": t.points,
                       "basis": [{"ref": b.ref, "text_zh": b.text_zh} for b in t.basis]}
                      for t in catalogue.types],
            "sources": {str(s): SOURCE_ZH[s] for s in ProblemSource},
            "entered_sources": [str(s) for s in ENTERED_SOURCES],
        }, dumps=_dumps)

    async def list(self, request: web.Request) -> web.Response:
        user: User = request["user"]
        closed = request.query.get("closed") == "1"
        return web.json_response({"problems": self.problems.items(user.scope, closed=closed)},
                                 dumps=_dumps)

    def _problem(self, user: User, pid: str):
        problem = self.problems.problems.get(pid)
        if problem is None:
            raise _error(web.HTTPNotFound, "no such problem")
        if not user.sees(problem.unit_id):
            raise _error(web.HTTPForbidden, "outside your units")
        return problem

    async def explain(self, request: web.Request) -> web.Response:
        user: User = request["user"]
        problem = self._problem(user, request.match_info["pid"])
        found = problem_types().by_code.get(problem.problem_type)
        current = self.problems.stage_of(problem.problem_id)
        acting = user.role if user.role in set(ActorRole) else None
        return web.json_response({
            "problem": {**self.problems.view(problem), "attachments": list(problem.attachments),
                        "evidence": list(problem.evidence),
                        "source_zh": SOURCE_ZH[problem.source]},
            "type": None if found is None else {
                "title_zh": found.title_zh, "title_en": found.title_en,
                "category": found.category, "points": found.points,
                "basis": [{"ref": b.ref, "text_zh": b.text_zh} for b in found.basis]},
            "actions": self.problems.action_views(problem.problem_id),
            "can": available(acting, current) if acting and current != VERIFIED else [],
        }, dumps=_dumps)

    async def enter(self, request: web.Request) -> web.Response:
        user: User = request["user"]
        role = ENTERING_ROLES.get(user.role)
        if role is None:
            raise _error(web.HTTPForbidden, "this role does not enter problems")
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise _error(web.HTTPRequestEntityTooLarge, "form too large")
        try:
            form = await request.json()
            if not isinstance(form, dict):
                raise TypeError
        except (ValueError, TypeError):
            raise _error(web.HTTPBadRequest, "a JSON object expected") from None
        now = datetime.now(UTC)
        record = {
            "schema_version": 1,
            "problem_id": f"web-{uuid.uuid4().hex}",
            "source": form.get("source"),
            "unit_id": form.get("unit_id"),
            "case_id": form.get("case_id") or None,
            "person_id": form.get("person_id") or None,
            "problem_type": form.get("problem_type"),
            "description": form.get("description"),
            "found_by": user.id,
            "found_by_role": str(role),
            "found_at": form.get("found_at") or format_cst(now),
            "attachments": form.get("attachments") or [],
        }
        if user.role == "unit" and (record["source"] != ProblemSource.self_check
                                    or not user.sees(str(record["unit_id"]))):
            raise _error(web.HTTPForbidden, "units enter their own self-check findings only")
        raw = json.dumps(record, ensure_ascii=False).encode()
        try:
            problem = accept_problem(raw, record["problem_id"].encode(), now)
        except InvalidProblem as exc:
            raise _error(web.HTTPBadRequest, exc.reasons[0], reasons=exc.reasons) from None
        await self.producer.send_and_wait(self.entry_topic, key=problem.problem_id.encode(),
                                          value=problem.to_json())
        self.problems.apply_problem(problem)
        log.info("problem %s entered by %s (%s) for %s", problem.problem_id, user.id, user.role,
                 problem.unit_id)
        return web.json_response({"problem": self.problems.view(problem)}, status=201,
                                 dumps=_dumps)

    async def act(self, request: web.Request) -> web.Response:
        user: User = request["user"]
        pid = request.match_info["pid"]
        try:
            body = await request.json()
            action = Action(body["action"])
            note = str(body.get("note", "")).strip()
        except (ValueError, KeyError, TypeError):
            raise _error(web.HTTPBadRequest, "action and note expected") from None
        problem = self._problem(user, pid)
        if user.role not in (ActorRole.unit, ActorRole.supervisor):
            raise _error(web.HTTPForbidden, "read-only role")
        async with self._acting:
            if self.problems.stage_of(pid) == VERIFIED:
                raise _error(web.HTTPConflict, "the problem's loop is closed")
            try:
                check(action, user.role, self.problems.stage_of(pid))
                record = ProblemAction(
                    problem_id=pid, source=problem.source, case_id=problem.case_id,
                    unit_id=problem.unit_id, problem_type=problem.problem_type, action=action,
                    note=note, actor_id=user.id, actor_role=user.role,
                    acted_at=datetime.now(UTC))
            except NotAllowed as exc:
                raise _error(web.HTTPConflict, str(exc)) from None
            except ValidationError as exc:
                raise _error(web.HTTPBadRequest, exc.errors()[0]["msg"]) from None
            await self.producer.send_and_wait(self.actions_topic, key=pid.encode(),
                                              value=record.model_dump_json().encode())
            self.problems.apply_action(record)
        log.info("action %s on problem %s by %s (%s)", action, pid, user.id, user.role)
        return web.json_response({"action": json.loads(record.model_dump_json()),
                                  "stage": self.problems.stage_of(pid)}, status=201)

    async def case(self, request: web.Request) -> web.Response:
        """What the console knows of a case (its units, persons, events), for the form."""
        user: User = request["user"]
        case = request.match_info["case"]
        if not 1 <= len(case) <= 64:
            raise _error(web.HTTPBadRequest, "a case id has 1 to 64 characters")
        rows = await self.reader.execute(case_events(self.reader.db), {"case": case})
        units = sorted({str(r[0]) for r in rows})
        if not rows or not any(user.sees(u) for u in units):
            raise _error(web.HTTPNotFound, "no such case in your units")
        return web.json_response({
            "case": case, "units": units,
            "persons": sorted({str(r[1]) for r in rows if r[1]}),
            "events": len(rows), "first": iso(rows[0][3]), "last": iso(rows[-1][3]),
        }, dumps=_dumps)

    async def export(self, request: web.Request) -> web.Response:
        """Every problem in scope (closed ones too) as CSV, UTF-8 with BOM for spreadsheets."""
        user: User = request["user"]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for view in self.problems.items(user.scope, closed=True):
            done = self.problems.actions.get(view["id"], [])
            last = done[-1] if done else None
            writer.writerow([_cell(str(v)) for v in (
                view["id"], view["source"], view["unit"], view["case"] or "",
                view["person"] or "", view["type"], view["title_zh"], view["found_by"],
                view["found_by_role"], view["found_at"], view["stage"],
                last.action if last else "", format_cst(last.acted_at) if last else "",
                view["description"])])
        log.info("problems exported by %s (%s)", user.id, user.role)
        return web.Response(body=("\ufeff" + out.getvalue()).encode(), headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="problems.csv"',
            "Cache-Control": "no-store"})


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
