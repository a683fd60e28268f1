"""The web console assembled in-process for unit tests: real auth, API and open set, with
a ClickHouse reader that answers from a table of canned rows and a producer that loops
each action back into the open set (as the live follower would), with optional delays."""

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web
from argon2 import PasswordHasher

from rules.problem_entry import accept_problem
from schemas.problem import Problem
from schemas.units import UnitRegistry
from streams.settings import Settings
from tests.support.ports import free_port
from tests.support.problem_records import raw
from web.audit import AccessLog
from web.auth import Auth
from web.context import Context
from web.health import Health
from web.open_set import Item, OpenSet
from web.ratelimit import LoginLimiter
from web.server import assemble
from web.sessions import Csrf, SessionStore
from web.settings import WebSettings
from web.sse import Streams
from web.users import load_users

REPO = Path(__file__).resolve().parents[2]

#: cheap argon2 parameters: the tests check the logic, not the cost
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORDS = {"sup01": "pw-sup01", "u3301": "pw-u3301", "u3302": "pw-u3302",
             "screen01": "pw-screen01", "d3300": "pw-d3300"}
ROLES = {"sup01": ("supervisor", []), "u3301": ("unit", ["U3301"]),
         "u3302": ("unit", ["U3302", "U3303"]), "screen01": ("screen", []),
         "d3300": ("unit", ["U3300"])}  # a district bureau: its whole subtree


def users_file(directory: Path) -> Path:
    path = directory / "users.toml"
    blocks = []
    for uid, (role, units) in ROLES.items():
        unit_line = f"units = {units!r}\n".replace("'", '"') if units else ""
        blocks.append(f'[[users]]\nid = "{uid}"\nrole = "{role}"\n{unit_line}'
                      f'password_hash = "{CHEAP.hash(PASSWORDS[uid])}"\n')
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def item(wid: str, unit: str = "U3301", level: str = "overdue", status: str = "open",
         case: str | None = None, person: str | None = "P1", rule: str = "det_family_notice",
         due: str = "2026-05-01T10:00:00+08:00") -> Item:
    return Item(id=wid, rule_id=rule, level=level, status=status,
                case_id=case or f"C-{wid}", person_id=person, unit_id=unit, due_at=due,
                changed_at="2026-05-01T09:00:00+08:00", message_zh="中", message_en="en",
                evidence=("e1",))


def problem(pid: str, unit: str = "U3301", case: str | None = "C-P", person: str | None = None,
            source: str = "case_review", problem_type: str = "record_unsigned",
            found_at: str = "2026-05-01T08:00:00+08:00") -> Problem:
    """A problem as the intake accepted it (rules/problem_entry.py)."""
    return accept_problem(
        raw(problem_id=pid, unit_id=unit, case_id=case if case else ...,
            person_id=person if person else ..., source=source, problem_type=problem_type,
            found_at=found_at, description=f"问题 {pid}"),
        pid.encode(), datetime.fromisoformat(found_at) + timedelta(days=1))


class CannedReader:
    """Answers every query with no rows (explanations then show the open set's state);
    `rows` answers queries containing a given text."""

    def __init__(self):
        self.rows: dict[str, list[tuple]] = {}

    db = "test"

    async def execute(self, sql: str, params: dict | None = None) -> list[tuple]:
        for needle, rows in self.rows.items():
            if needle in sql:
                return rows
        if sql.lstrip().startswith("SELECT count()"):
            return [(0,)]
        return []

    def close(self) -> None:
        pass


@dataclass
class LoopbackProducer:
    """Sends to nowhere and applies each action, a warning's or a problem's, to the open set
    (as the live followers would), after `delay(value)`; problem entries are kept only."""

    open_set: OpenSet
    delays: dict[str, float] = field(default_factory=dict)  # warning or problem id -> seconds
    hang: bool = False  # never answer (Kafka down)
    sent: list[bytes] = field(default_factory=list)
    targets: list[OpenSet] | None = None  # every open set reading the topics (default: own)

    def share(self, log: list, open_sets: list[OpenSet]) -> None:
        """Write to one topic `log` that every open set in `open_sets` reads in order."""
        self.sent = log
        self.targets = open_sets

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None):
        from schemas.problem_action import ProblemAction
        from schemas.warning_action import WarningAction

        if self.hang:
            await asyncio.Event().wait()
        if topic.endswith("problem-actions"):
            action = ProblemAction.model_validate_json(value)
            subject = action.problem_id
        elif topic.endswith("warning-actions"):
            action = WarningAction.model_validate_json(value)
            subject = action.warning_id
        else:
            self.sent.append(value)  # a problem entry: the intake's topic
            return
        await asyncio.sleep(self.delays.get(subject, 0.0))
        self.sent.append(value)
        for target in self.targets or [self.open_set]:
            target.apply_action(action)

    async def stop(self) -> None:
        pass


class RecordingProducer:
    """Takes access records and keeps them (the access-log topic)."""

    def __init__(self):
        self.records: list[dict] = []

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None):
        self.records.append(json.loads(value))


@dataclass
class Console:
    app: web.Application
    open_set: OpenSet
    producer: LoopbackProducer
    access: RecordingProducer
    auth: Auth
    ctx: Context
    health: Health


def console(directory: Path, units: UnitRegistry | None = None, **settings) -> Console:
    """The console's application over canned parts. `settings`: WebSettings fields."""
    web_settings = WebSettings(users_file=users_file(directory),
                               sessions_file=directory / "sessions.sqlite3",
                               secret="k" * 32, **settings)
    registry = units or UnitRegistry.load(REPO / "deploy" / "units.toml")
    open_set = OpenSet(web_settings.ring_size)
    access = AccessLog("access-log", 2.0)
    access.producer = RecordingProducer()
    ctx = Context(Settings(), web_settings, open_set, CannedReader(), lambda: registry, access,
                  "warning-actions")
    ctx.producer = LoopbackProducer(open_set)
    sessions = SessionStore(web_settings.sessions_file, web_settings.session_idle_minutes * 60)
    limiter = LoginLimiter(web_settings.login_failures, web_settings.login_window_seconds)
    auth = Auth(load_users(web_settings.users_file), sessions,
                Csrf(web_settings.session_key()), limiter, web_settings, lambda: registry,
                access)
    health = Health(Settings(), ctx.reader, lambda: 0.0, lambda: None, "sink")
    health.loaded = True
    streams = Streams(open_set, web_settings.streams_per_session, web_settings.streams_max,
                      web_settings.stream_queue, web_settings.stream_write_timeout_seconds,
                      lambda sid: sessions.by_id(sid) is not None, health.status)
    app = assemble(ctx, auth, health, streams)
    return Console(app, open_set, ctx.producer, access.producer, auth, ctx, health)


@contextmanager
def serve(c: Console) -> Iterator[str]:
    """The console on a free loopback port, in a thread of its own; yields its base URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(c.app, shutdown_timeout=0.5)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
