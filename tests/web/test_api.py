"""web.api, web.export, web.search over the in-process console: scope by parent unit,
unit names, the access log of reads, exports and searches; one work queue of warnings and
problems."""

import asyncio
import csv
import io
import json

from aiohttp.test_utils import TestClient, TestServer

from tests.support.web_app import PASSWORDS, console, item, problem


def run(c, user, calls):
    async def go():
        cl = TestClient(TestServer(c.app))
        await cl.start_server()
        try:
            await cl.post("/login", json={"user": user, "password": PASSWORDS[user]})
            return [await call(cl) for call in calls]
        finally:
            await cl.close()
    return asyncio.run(go())


async def body(resp):
    return resp.status, await resp.json()


def test_a_parent_unit_covers_its_stations(tmp_path):
    c = console(tmp_path)
    for wid, unit in (("W1", "U3301"), ("W2", "U3311"), ("W3", "U3401"), ("W4", "U-E2E")):
        c.open_set.apply_item(item(wid, unit=unit))
    [(status, snap), (_, units), (other, _)] = run(c, "d3300", [
        lambda cl: body_of(cl, "/api/warnings"),
        lambda cl: body_of(cl, "/api/units"),
        lambda cl: body_of(cl, "/api/warnings/W3"),
    ])
    assert status == 200 and {w["id"] for w in snap["warnings"]} == {"W1", "W2"}
    assert units["units"]["U3301"]["name"] == "东城分局城关派出所"
    assert "U3401" not in units["units"] and other == 404


async def body_of(cl, path):
    return await body(await cl.get(path))


def test_unregistered_units_are_described_as_such(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("W4", unit="U-E2E"))
    [(_, units)] = run(c, "sup01", [lambda cl: body_of(cl, "/api/units")])
    assert units["units"]["U-E2E"] == {"id": "U-E2E", "name": None, "kind": None,
                                       "parent": None, "registered": False}


def test_reads_searches_and_exports_are_recorded(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("W1", unit="U3302", case="=cmd|'/c calc'!A1", person="P7"))
    c.open_set.apply_item(item("W2", unit="U3401"))

    async def export(cl):
        resp = await cl.get("/api/export?format=csv&view=confirm")
        return resp.status, (await resp.read()).decode("utf-8-sig")

    [(s1, _), (s2, found), (s3, text), (s4, _)] = run(c, "u3302", [
        lambda cl: body_of(cl, "/api/warnings/W1"),
        lambda cl: body_of(cl, "/api/search?q=P7"),
        export,
        lambda cl: body_of(cl, "/api/export?format=pdf"),
    ])
    assert (s1, s2, s3, s4) == (200, 200, 200, 400)
    assert [w["id"] for w in found["results"]] == ["W1"]
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[-1] for r in rows[1:]] == ["W1"]  # scoped: not W2
    assert rows[1][3] == "'=cmd|'/c calc'!A1" and rows[1][6] == "东城分局东关派出所"
    actions = [(r["action"], r["actor_id"], r["target"]) for r in c.access.records]
    assert actions == [("login", "u3302", ""), ("read_warning", "u3302", "W1"),
                       ("search", "u3302", "P7"), ("export", "u3302", "csv?view=confirm")]
    read = c.access.records[1]
    assert (read["case_id"], read["person_id"], read["unit_id"]) == (
        "=cmd|'/c calc'!A1", "P7", "U3302")


def test_a_read_that_cannot_be_recorded_is_refused(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("W1"))

    class Down:
        async def send_and_wait(self, *args, **kwargs):
            raise OSError("Kafka down")

    async def read(cl):
        c.ctx.access.producer = Down()
        return await body_of(cl, "/api/warnings/W1")

    [(status, answer)] = run(c, "u3301", [read])
    assert status == 503 and answer["code"] == "audit_unavailable"


def test_a_failed_login_is_recorded(tmp_path):
    c = console(tmp_path)

    async def go():
        cl = TestClient(TestServer(c.app))
        await cl.start_server()
        try:
            return (await cl.post("/login", json={"user": "sup01", "password": "x"})).status
        finally:
            await cl.close()

    assert asyncio.run(go()) == 401
    assert [(r["action"], r["actor_id"], r["actor_role"]) for r in c.access.records] == [
        ("login_failed", "sup01", "")]


async def post(cl, path, payload):
    token = (await (await cl.get("/api/me")).json())["csrf"]
    return await body(await cl.post(path, json=payload, headers={"X-CSRF-Token": token}))


def queue_of_both(tmp_path):
    """A console holding a warning and problems of U3301 (one problem with the warning's
    id) and a problem of U3302."""
    c = console(tmp_path)
    c.open_set.apply_item(item("W1", unit="U3301"))
    c.ctx.problems.apply_problem(problem("P1", unit="U3301"))
    c.ctx.problems.apply_problem(problem("W1", unit="U3301", source="patrol", case=None,
                                         problem_type="property_self_kept"))
    c.ctx.problems.apply_problem(problem("P3", unit="U3302", source="self_check"))
    return c


def test_one_work_queue_lists_and_exports_warnings_and_problems(tmp_path):
    c = queue_of_both(tmp_path)

    async def export(cl, query):
        resp = await cl.get(f"/api/export?format=csv&{query}")
        return resp.status, list(csv.reader(io.StringIO((await resp.read()).decode("utf-8-sig"))))

    [(_, snap), (_, problems), (_, patrol), (bad, _)] = run(c, "u3301", [
        lambda cl: body_of(cl, "/api/warnings"),
        lambda cl: export(cl, "kind=problem"),
        lambda cl: export(cl, "source=patrol&view=confirm"),
        lambda cl: export(cl, "kind=case"),
    ])
    assert sorted((w["kind"], w["id"]) for w in snap["warnings"]) == [
        ("problem", "P1"), ("problem", "W1"), ("warning", "W1")]  # not U3302's P3
    p1 = next(w for w in snap["warnings"] if w["kind"] == "problem" and w["id"] == "P1")
    assert (p1["source"], p1["rule"], p1["level"], p1["title_zh"], p1["due"]) == (
        "case_review", "record_unsigned", "problem", "讯问笔录未逐页签名捺指印",
        "2026-05-08T08:00:00+08:00")  # found at + rectification.days
    header, *rows = problems
    assert header[-2:] == ["来源 source", "编号 id"]
    assert [(r[0], r[2], r[-2], r[-1]) for r in rows] == [
        ("问题", "讯问笔录未逐页签名捺指印", "案件评查", "P1"),
        ("问题", "涉案财物由办案人员自行保管", "网上巡查", "W1")]
    assert [r[-1] for r in patrol[1:]] == ["W1"] and bad == 400


def test_a_problems_loop_closes_on_verify_and_search_finds_it_closed(tmp_path):
    c = queue_of_both(tmp_path)
    path = "/api/problems/P1/actions"

    async def go():
        server = TestServer(c.app)
        unit, sup = TestClient(server), TestClient(server)
        await unit.start_server()
        try:
            for cl, user in ((unit, "u3301"), (sup, "sup01")):
                await cl.post("/login", json={"user": user, "password": PASSWORDS[user]})
            return [await post(unit, path, {"action": "acknowledge"}),
                    await post(unit, path, {"action": "rectify", "note": "已补签"})], [
                await post(sup, path, {"action": "verify"}),
                await post(sup, path, {"action": "return", "note": "x"}),
                *[await body_of(sup, p) for p in ("/api/warnings", "/api/search?q=C-P",
                                                  "/api/screen", "/api/problems/P1")]]
        finally:
            await unit.close()
            await sup.close()

    unit, sup = asyncio.run(go())
    assert [s for s, _ in unit] == [201, 201]
    [(verified, answer), (late, closed), (_, snap), (_, found), (_, screen), (_, shown)] = sup
    assert (verified, answer["stage"]) == (201, "verified")
    assert (late, closed["code"]) == (409, "problem_closed")
    assert ("problem", "P1") not in {(w["kind"], w["id"]) for w in snap["warnings"]}
    assert [(r["kind"], r["id"], r.get("closed")) for r in found["results"]] == [
        ("problem", "P1", True), ("problem", "P3", None)]  # closed, and open from the queue
    assert (screen["open_total"], screen["problems_open"]) == (1, 2)  # W1; W1 and P3 apart
    assert shown["problem"]["stage"] == "verified" and shown["can"] == []
    sent = [json.loads(v) for v in c.producer.sent]
    assert [(a["problem_id"], a["action"], a["step"]) for a in sent] == [
        ("P1", "acknowledge", 0), ("P1", "rectify", 1), ("P1", "verify", 2)]
