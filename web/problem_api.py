"""JSON API and pages of the console for problems (docs/web.md, "Problems"), shaped like
the warning API: list, explain, act; plus the form's entry, the catalogue it picks from,
the case lookup and the export. A module of the console (web/server.py, MODULES): every
handler runs behind the session middleware (web.auth) and answers for the user's scope;
a problem outside it answers exactly like an unknown one (404). Open problems are items of
the work queue (web/open_set.py) beside warnings; `/problems` is that queue filtered to
problems.

Who may do what: inspectors and supervisors enter problems for any unit, a unit's staff
its own units' self-check findings; the loop is a warning's (web/loop.py): units
acknowledge and rectify, supervisors verify or return; inspectors and the big screen only
read. Every entry goes to Kafka first (problems); every action by the step protocol of
web/acting.py (problem-actions): answered once read back. Reads of a problem and exports
are recorded in the access log.
"""

import asyncio
import csv
import io
import json
import logging
import uuid
from datetime import UTC, datetime

from aiohttp import web

from rules.problem_entry import InvalidProblem, accept_problem
from rules.problem_types import problem_types
from schemas.problem import ENTERED_SOURCES, SOURCE_ZH, FinderRole, ProblemSource
from schemas.problem_action import ProblemAction
from schemas.timefmt import format_cst
from schemas.warning_action import Action, ActorRole
from sinks.clickhouse.migrate import check_identifier
from web.acting import Acting
from web.api import dumps
from web.context import Context
from web.errors import body, error
from web.export import safe_text
from web.feed import iso
from web.loop import available
from web.open_set import PROBLEM
from web.scope import Scope

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
ENTERING_ROLES = {"inspector": FinderRole.inspector, "supervisor": FinderRole.supervisor,
                  "unit": FinderRole.unit}
EXPORT_COLUMNS = ("problem_id", "source", "unit_id", "case_id", "person_id", "problem_type",
                  "title_zh", "found_by", "found_by_role", "found_at", "stage", "last_action",
                  "last_acted_at", "description")


def case_events(db: str) -> str:
    return f"""
SELECT unit_id, person_id, event_type, occurred_at
FROM {check_identifier(db)}.events FINAL
WHERE case_id = %(case)s
ORDER BY occurred_at, event_id
LIMIT 1000
"""


def register(ctx: Context) -> None:
    ProblemApi(ctx).register()


class ProblemApi:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.problems = ctx.problems
        self.entry_topic = ctx.settings.topic("problems")
        self.actions_topic = ctx.settings.topic("problem-actions")
        self.acting = Acting(ctx)

    def register(self) -> None:
        self.ctx.add_routes([
            web.get("/api/problem-types", self.types),
            web.get("/api/problems", self.list),
            web.post("/api/problems", self.enter),
            web.get("/api/problems/export", self.export),
            web.get("/api/problems/{pid}", self.explain),
            web.post("/api/problems/{pid}/actions", self.act),
            web.get("/api/cases/{case}", self.case),
        ])
        # the work queue (list.html) filtered to problems: one list, not two
        self.ctx.page("/problems", "list.html", nav=("problems", "问题", "Problems"))
        self.ctx.page("/problems/new", "problem_new.html", roles=set(ENTERING_ROLES))
        self.ctx.page("/problem/{pid}", "problem.html")

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
        }, dumps=dumps)

    async def list(self, request: web.Request) -> web.Response:
        closed = request.query.get("closed") == "1"
        return web.json_response(
            {"problems": self.problems.items(request["scope"], closed=closed)}, dumps=dumps)

    def _problem(self, scope: Scope, pid: str):
        problem = self.problems.problems.get(pid)
        if problem is None or not scope.covers(problem.unit_id):
            raise error(web.HTTPNotFound, "not_found")
        return problem

    async def explain(self, request: web.Request) -> web.Response:
        user = request["user"]
        problem = self._problem(request["scope"], request.match_info["pid"])
        await self.ctx.access.record(request, "read_problem", target=problem.problem_id,
                                     case_id=problem.case_id or "",
                                     person_id=problem.person_id or "",
                                     unit_id=problem.unit_id, rows=1)
        found = problem_types().by_code.get(problem.problem_type)
        current = self.problems.stage_of(problem.problem_id)
        acting = user.role if user.role in set(ActorRole) else None
        return web.json_response({
            "problem": {**self.problems.view(problem), "attachments": list(problem.attachments),
                        "evidence": list(problem.evidence),
                        "source_zh": SOURCE_ZH[problem.source]},
            "unit": self.ctx.units().describe(problem.unit_id),
            "type": None if found is None else {
                "title_zh": found.title_zh, "title_en": found.title_en,
                "category": found.category, "points": found.points,
                "basis": [{"ref": b.ref, "text_zh": b.text_zh} for b in found.basis]},
            "actions": self.problems.action_views(problem.problem_id),
            "can": available(acting, current)
            if acting and self.problems.is_open(problem.problem_id) else [],
        }, dumps=dumps)

    async def enter(self, request: web.Request) -> web.Response:
        user = request["user"]
        role = ENTERING_ROLES.get(user.role)
        if role is None:
            raise error(web.HTTPForbidden, "forbidden")
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise error(web.HTTPRequestEntityTooLarge, "bad_request")
        try:
            form = await request.json()
            if not isinstance(form, dict):
                raise TypeError
        except (ValueError, TypeError):
            raise error(web.HTTPBadRequest, "json_required") from None
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
                                    or not request["scope"].covers(str(record["unit_id"]))):
            raise error(web.HTTPForbidden, "forbidden",
                        "units enter their own self-check findings only")
        raw = json.dumps(record, ensure_ascii=False).encode()
        try:
            problem = accept_problem(raw, record["problem_id"].encode(), now)
        except InvalidProblem as exc:
            answer = {**json.loads(body("problem_invalid", exc.reasons[0])),
                      "reasons": exc.reasons}
            raise web.HTTPBadRequest(text=json.dumps(answer, ensure_ascii=False),
                                     content_type="application/json") from None
        await self._send(self.entry_topic, problem.problem_id, problem.to_json())
        self.problems.apply_problem(problem)
        log.info("problem %s entered by %s (%s) for %s", problem.problem_id, user.id, user.role,
                 problem.unit_id)
        return web.json_response({"problem": self.problems.view(problem)}, status=201,
                                 dumps=dumps)

    async def _send(self, topic: str, key: str, value: bytes) -> None:
        try:
            await asyncio.wait_for(self.ctx.producer.send_and_wait(
                topic, key=key.encode(), value=value),
                self.ctx.web_settings.action_send_timeout_seconds)
        except Exception as exc:  # noqa: BLE001  Kafka down or slow: nothing was recorded
            log.warning("record for %s not sent to %s: %r", key, topic, exc)
            raise error(web.HTTPServiceUnavailable, "kafka_unavailable") from None

    async def act(self, request: web.Request) -> web.Response:
        user = request["user"]
        pid = request.match_info["pid"]
        try:
            payload = await request.json()
            action = Action(payload["action"])
            note = str(payload.get("note", "")).strip()
        except (ValueError, KeyError, TypeError):
            raise error(web.HTTPBadRequest, "action_expected") from None
        problem = self._problem(request["scope"], pid)
        if user.role not in (ActorRole.unit, ActorRole.supervisor):
            raise error(web.HTTPForbidden, "forbidden")

        def record(step: int) -> ProblemAction:
            return ProblemAction(
                problem_id=pid, source=problem.source, case_id=problem.case_id,
                unit_id=problem.unit_id, problem_type=problem.problem_type, action=action,
                note=note, actor_id=user.id, actor_role=user.role, acted_at=datetime.now(UTC),
                step=step)

        return await self.acting.act(user, (PROBLEM, pid), action, self.actions_topic, pid,
                                     record)

    async def case(self, request: web.Request) -> web.Response:
        """What the console knows of a case (its units, persons, events), for the form."""
        scope: Scope = request["scope"]
        case = request.match_info["case"]
        if not 1 <= len(case) <= 64:
            raise error(web.HTTPBadRequest, "bad_query", "a case id has 1 to 64 characters")
        reader = self.ctx.reader
        rows = await reader.execute(case_events(reader.db), {"case": case})
        units = sorted({str(r[0]) for r in rows})
        if not rows or not any(scope.covers(u) for u in units):
            raise error(web.HTTPNotFound, "not_found")
        persons = sorted({str(r[1]) for r in rows if r[1]})
        await self.ctx.access.record(request, "search", target=f"case {case}", case_id=case,
                                     rows=len(persons))
        return web.json_response({
            "case": case, "units": units, "persons": persons, "events": len(rows),
            "first": iso(rows[0][3]), "last": iso(rows[-1][3]),
        }, dumps=dumps)

    async def export(self, request: web.Request) -> web.Response:
        """Every problem in scope (closed ones too) as CSV, UTF-8 with BOM for spreadsheets;
        no cell is a formula (web.export.safe_text)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        views = self.problems.items(request["scope"], closed=True)
        for view in views:
            done = self.problems.actions_of(view["id"])
            last = done[-1] if done else None
            writer.writerow([safe_text(str(v)) for v in (
                view["id"], view["source"], view["unit"], view["case"] or "",
                view["person"] or "", view["type"], view["title_zh"], view["found_by"],
                view["found_by_role"], view["found_at"], view["stage"],
                last.action if last else "", format_cst(last.acted_at) if last else "",
                view["description"])])
        await self.ctx.access.record(request, "export", target="problems.csv", rows=len(views))
        return web.Response(body=("\ufeff" + out.getvalue()).encode(), headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="problems.csv"',
            "Cache-Control": "no-store"})
