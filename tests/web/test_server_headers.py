"""web.server.security_headers: CSP on every answer; a backend outage is a 503, not a 500."""

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from clickhouse_driver.errors import NetworkError

from web.server import security_headers


async def _get(path: str):
    async def ok(request):
        return web.json_response({"ok": True})

    async def down(request):
        raise NetworkError("Connection refused (127.0.0.1:9000)")

    async def missing(request):
        raise web.HTTPNotFound()

    app = web.Application(middlewares=[security_headers()])
    app.add_routes([web.get("/ok", ok), web.get("/down", down), web.get("/missing", missing)])
    async with TestClient(TestServer(app)) as client:
        resp = await client.get(path)
        return resp.status, resp.headers, await resp.text()


def test_answers_carry_the_content_security_policy():
    for path, status in (("/ok", 200), ("/missing", 404)):
        got, headers, _ = asyncio.run(_get(path))
        assert got == status
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_clickhouse_down_is_503():
    status, headers, text = asyncio.run(_get("/down"))
    assert status == 503 and "backend unavailable" in text and "服务暂不可用" in text
    assert "Content-Security-Policy" in headers
