"""`casewatch web`: build the aiohttp application and run it.

The server listens at once: while it catches up with Kafka and ClickHouse every page and
API answers 503 with a "starting" page (正在启动), then it serves. Modules register their
routes and pages on the Context (MODULES: one line each)."""

import asyncio
import contextlib
import ipaddress
import logging
from pathlib import Path

from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from clickhouse_driver.errors import Error as ClickHouseError
from kafka import errors as kafka_errors

from schemas.units import WatchedUnits
from sinks.clickhouse.client import ClickHouse
from sinks.clickhouse.migrate import migrate
from streams.kafka_clients import connection
from streams.settings import Settings
from streams.topics import ensure_topics
from web import audit_page, export, notify_api, problem_api, retention, search
from web.api import Api
from web.audit import AccessLog
from web.auth import Auth
from web.context import Context
from web.errors import body, error
from web.feed import Feed
from web.health import Health
from web.open_set import OpenSet
from web.problem_feed import ProblemFeed
from web.ratelimit import LoginLimiter
from web.reader import Reader
from web.sessions import COOKIE, Csrf, SessionStore
from web.settings import WebSettings
from web.sse import Streams
from web.users import User, demo_users, load_users

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
HSTS = "max-age=31536000"
#: page modules: each registers its routes and pages on the Context
MODULES = (search.register, export.register, audit_page.register, notify_api.register,
           problem_api.register)


def security_headers(secure: bool = False):
    @web.middleware
    async def middleware(request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = exc
        except (ClickHouseError, KafkaError, OSError) as exc:
            log.warning("%s %s: backend unavailable: %s", request.method, request.path, exc)
            response = error(web.HTTPServiceUnavailable, "backend_unavailable")
        except Exception:
            log.exception("%s %s failed", request.method, request.path)
            response = error(web.HTTPInternalServerError, "internal")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if isinstance(response, web.HTTPException):
            raise response
        return response
    return middleware


def starting_gate(health: Health):
    """503 with a starting page (or JSON) until the open set is loaded."""
    @web.middleware
    async def middleware(request: web.Request, handler):
        if health.loaded or request.path.startswith(("/static/", "/healthz")):
            return await handler(request)
        if request.path.startswith("/api/") or request.method != "GET":
            raise web.HTTPServiceUnavailable(
                text=body("starting"), content_type="application/json",
                headers={"Retry-After": "2"})
        raise web.HTTPServiceUnavailable(
            text=(STATIC / "starting.html").read_text(encoding="utf-8"),
            content_type="text/html", headers={"Retry-After": "2", "Cache-Control": "no-store"})
    return middleware


def _file(name: str):
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-store"})
    return handler


def _page(ctx: Context, name: str, roles: frozenset[str] | None):
    async def handler(request: web.Request) -> web.FileResponse:
        if roles is not None and request["user"].role not in roles:
            raise web.HTTPFound("/")
        return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-store"})
    return handler


def assemble(ctx: Context, auth: Auth, health: Health, streams: Streams) -> web.Application:
    """The application over ready parts (the server's, or a test's)."""
    app = web.Application(middlewares=[security_headers(ctx.web_settings.secure_cookie),
                                       starting_gate(health), auth.middleware])
    Api(ctx).register()
    for register in MODULES:
        register(ctx)
    ctx.page("/screen", "screen.html", nav=("screen", "大屏", "Big screen"))

    async def me(request):
        user = request["user"]
        return web.json_response({**auth.me(request), "tz": ctx.settings.tz,
                                  "nav": ctx.nav_for(user.role)})

    async def healthz(request):
        """Anonymous: the state only. Signed in: what the banner needs. Supervisors: the
        counts too."""
        status = health.status()
        session = auth.sessions.get(request.cookies.get(COOKIE), touch=False)
        if session is None:
            status = {"state": status["state"]}
        elif session.role == "supervisor":
            status = {**status, "open": len(ctx.open_set.items), "seq": ctx.open_set.seq,
                      "clients": len(ctx.open_set.subscribers)}
        else:
            status = {k: v for k, v in status.items() if not k.endswith("_lag")}
        return web.json_response(status, status=200 if health.loaded else 503)

    app.add_routes([
        web.get("/login", _file("login.html")),
        web.post("/login", auth.login),
        web.post("/logout", auth.logout),
        web.post("/screen/enrol", auth.enrol_screen),
        web.get("/healthz", healthz),
        web.get("/api/me", me),
        web.get("/api/stream", streams.handle),
        *ctx.routes,
        *[web.get(p.path, _page(ctx, p.file, p.roles)) for p in ctx.pages],
        web.static("/static", STATIC),
    ])
    return app


async def _until_loaded(settings: Settings, feed: Feed, problem_feed: ProblemFeed) -> None:
    """Create the topics, migrate ClickHouse and load the open set and the problems,
    retrying while Kafka or ClickHouse is unavailable."""
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
        except (ClickHouseError, KafkaError, kafka_errors.KafkaError, OSError,
                RuntimeError) as exc:
            log.warning("start-up waits for Kafka and ClickHouse (retry in %.1f s): %s",
                        delay, exc)
            await feed.stop()
            await problem_feed.stop()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


def build_app(settings: Settings, web_settings: WebSettings,
              units: WatchedUnits | None = None) -> web.Application:
    users = load_users(web_settings.users_file)
    units = units or WatchedUnits(settings.units_file)
    sessions = SessionStore(web_settings.sessions_file, web_settings.session_idle_minutes * 60)
    open_set = OpenSet(web_settings.ring_size)
    reader = Reader(settings.clickhouse)
    access = AccessLog(settings.topic("access-log"), web_settings.action_send_timeout_seconds)
    ctx = Context(settings, web_settings, open_set, reader, units.current, access,
                  settings.topic("warning-actions"))
    group = web_settings.snapshot_group or f"{settings.app_id}-sink"
    feed = Feed(settings, group, reader, open_set)
    problem_feed = ProblemFeed(settings, ctx.problems)
    health = Health(settings, reader, feed.age, lambda: feed.error, group)
    limiter = LoginLimiter(web_settings.login_failures, web_settings.login_window_seconds)
    auth = Auth(users, sessions, Csrf(web_settings.session_key()), limiter, web_settings,
                units.current, access)
    streams = Streams(open_set, web_settings.streams_per_session, web_settings.streams_max,
                      web_settings.stream_queue, web_settings.stream_write_timeout_seconds,
                      lambda sid: sessions.by_id(sid) is not None, health.status)
    app = assemble(ctx, auth, health, streams)

    async def start(tasks: list[asyncio.Task]) -> None:
        await _until_loaded(settings, feed, problem_feed)
        producer = AIOKafkaProducer(**connection(settings), acks="all", enable_idempotence=True,
                                    request_timeout_ms=int(
                                        web_settings.action_send_timeout_seconds * 1000))
        await producer.start()
        ctx.producer = access.producer = producer
        tasks += [asyncio.create_task(feed.follow()), asyncio.create_task(problem_feed.follow()),
                  asyncio.create_task(health.watch()),
                  asyncio.create_task(retention.keep(
                      reader, web_settings.access_log_retention_days,
                      settings.clickhouse.cluster or None))]
        health.loaded = True
        log.info("serving: %d open items (warnings and problems)", len(open_set.items))

    async def lifecycle(app: web.Application):
        tasks: list[asyncio.Task] = []
        starting = asyncio.create_task(start(tasks))
        yield
        for task in (starting, *tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await feed.stop()
        await problem_feed.stop()
        if ctx.producer is not None:
            await ctx.producer.stop()
        reader.close()
        sessions.close()

    app.cleanup_ctx.append(lifecycle)
    return app


class Exposed(ValueError):
    """The server would be reachable from the network without being safe to."""


def check_exposure(host: str, users: dict[str, User], secure_cookie: bool,
                   insecure_demo: bool) -> None:
    """Refuse a non-loopback address while a demo password is loaded or the cookie is not
    Secure, unless `--insecure-demo` says so explicitly."""
    if insecure_demo or host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass  # a host name: treated as reachable
    demo = demo_users(users)
    if demo:
        raise Exposed(f"refusing to listen on {host}: the demo users {', '.join(demo)} "
                      "(passwords printed in the README) are loaded; use your own users "
                      "file (CASEWATCH_WEB_USERS_FILE), or pass --insecure-demo")
    if not secure_cookie:
        raise Exposed(f"refusing to listen on {host} without a Secure cookie: serve behind "
                      "TLS with CASEWATCH_WEB_SECURE_COOKIE=true, or pass --insecure-demo")


def run(settings: Settings, web_settings: WebSettings, insecure_demo: bool = False) -> None:
    check_exposure(web_settings.host, load_users(web_settings.users_file),
                   web_settings.secure_cookie, insecure_demo)
    if web_settings.secret is None:
        log.warning("CASEWATCH_WEB_SECRET is not set: CSRF tokens change when the server "
                    "restarts (pages reload them)")
    app = build_app(settings, web_settings)
    print(f"casewatch web: http://{web_settings.host}:{web_settings.port}/", flush=True)
    web.run_app(app, host=web_settings.host, port=web_settings.port, print=None,
                access_log=None, shutdown_timeout=2.0)
