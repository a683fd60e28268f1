"""web.api, web.export, web.search over the in-process console: scope by parent unit,
unit names, the access log of reads, exports and searches."""

import asyncio
import csv
import io

from aiohttp.test_utils import TestClient, TestServer

from tests.support.web_app import PASSWORDS, console, item


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
