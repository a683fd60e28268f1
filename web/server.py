"""`casewatch web`: build the aiohttp application and run it."""

import asyncio
import contextlib
import logging
from pathlib import Path

from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from clickhouse_driver.errors import Error as ClickHouseError
from kafka import errors as kafka_errors

from sinks.clickhouse.client import ClickHouse
from sinks.clickhouse.migrate import migrate
from streams.kafka_clients import connection
from streams.settings import Settings
from streams.topics import ensure_topics
from web.api import Api
from web.auth import Auth
from web.feed import Feed
from web.open_set import OpenSet
from web.problem_api import ProblemApi
from web.problem_feed import ProblemFeed
from web.problem_set import ProblemSet
from web.ratelimit import LoginLimiter
from web.reader import Reader
from web.session import Signer
from web.settings import WebSettings
from web.sse import stream
from web.users import load_users

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
PAGES = {"/": "list.html", "/warning/{wid}": "warning.html", "/measures": "measures.html",
         "/screen": "screen.html", "/problems": "problems.html",
         "/problems/new": "problem_new.html", "/problem/{pid}": "problem.html"}
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@web.middleware
async def security_headers(request: web.Request, handler):
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    except (ClickHouseError, KafkaError, OSError) as exc:
        log.warning("%s %s: backend unavailable: %s", request.method, request.path, exc)
        response = web.json_response({"error": "服务暂不可用 backend unavailable, retry"},
                                     status=503)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if isinstance(response, web.HTTPException):
        raise response
    return response


def _page(name: str):
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-store"})
    return handler


async def _until_loaded(settings: Settings, feed: Feed, problem_feed: ProblemFeed) -> None:
    """Create the topics, migrate ClickHouse and load the open set, retrying while Kafka
    or ClickHouse is unavailable (the server listens only once this is done)."""
    loop = asyncio.get_running_loop()
    ch = ClickHouse(settings.clickhouse)
    delay = 0.5
    while True:
        try:
            await loop.run_in_executor(None, ensure_topics, settings)
            await loop.run_in_executor(
                None, lambda: migrate(ch.execute, settings.clickhouse.database))
            await feed.load()
            await problem_feed.load()
            return
        except (ClickHouseError, KafkaError, kafka_errors.KafkaError, OSError) as exc:
            log.warning("start-up waits for Kafka and ClickHouse (retry in %.1f s): %s",
                        delay, exc)
            await feed.stop()
            await problem_feed.stop()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


def build_app(settings: Settings, web_settings: WebSettings) -> web.Application:
    users = load_users(web_settings.users_file)
    signer = Signer(web_settings.session_key())
    auth = Auth(users, signer,
                LoginLimiter(web_settings.login_failures, web_settings.login_window_seconds),
                web_settings.session_hours, web_settings.secure_cookie)
    open_set = OpenSet(web_settings.ring_size)
    reader = Reader(settings.clickhouse)
    app = web.Application(middlewares=[security_headers, auth.middleware])
    api = Api(open_set, reader, settings.topic("warning-actions"), settings.tz)
    problems = ProblemSet()
    problem_api = ProblemApi(problems, reader, settings.topic("problems"),
                             settings.topic("problem-actions"))

    async def lifecycle(app: web.Application):
        feed = Feed(settings, web_settings.snapshot_group or f"{settings.app_id}-sink", reader,
                    open_set)
        problem_feed = ProblemFeed(settings, problems)
        await _until_loaded(settings, feed, problem_feed)
        producer = AIOKafkaProducer(**connection(settings), acks="all",
                                    enable_idempotence=True)
        await producer.start()
        api.producer = problem_api.producer = producer
        followers = [asyncio.create_task(feed.follow()),
                     asyncio.create_task(problem_feed.follow())]
        yield
        for follower in followers:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        await feed.stop()
        await problem_feed.stop()
        await producer.stop()
        reader.close()

    app.cleanup_ctx.append(lifecycle)

    async def me(request):
        return web.json_response({**auth.me(request), "tz": settings.tz})

    async def login_page(request):
        return web.FileResponse(STATIC / "login.html")

    async def healthz(request):
        return web.json_response({"open": len(open_set.items), "seq": open_set.seq,
                                  "clients": len(open_set.subscribers)})

    app.add_routes([
        web.get("/login", login_page),
        web.post("/login", auth.login),
        web.post("/logout", auth.logout),
        web.get("/healthz", healthz),
        web.get("/api/me", me),
        web.get("/api/stream", lambda request: stream(request, open_set)),
        *api.routes(),
        *problem_api.routes(),
        *[web.get(path, _page(name)) for path, name in PAGES.items()],
        web.static("/static", STATIC),
    ])
    return app


def run(settings: Settings, web_settings: WebSettings) -> None:
    if web_settings.secret is None:
        log.warning("CASEWATCH_WEB_SECRET is not set: sessions end when the server restarts")
    app = build_app(settings, web_settings)
    print(f"casewatch web: http://{web_settings.host}:{web_settings.port}/", flush=True)
    web.run_app(app, host=web_settings.host, port=web_settings.port, print=None,
                access_log=None, shutdown_timeout=2.0)
