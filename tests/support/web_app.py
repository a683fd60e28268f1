"""The web console assembled in-process for unit tests: real auth, API and open set, with
a ClickHouse reader that answers from a table of canned rows and a producer that loops
each action back into the open set (as the live follower would), with optional delays."""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from argon2 import PasswordHasher

from web.api import Api
from web.auth import Auth
from web.open_set import Item, OpenSet
from web.ratelimit import LoginLimiter
from web.server import _page, PAGES, STATIC, security_headers
from web.session import Signer
from web.sse import stream
from web.users import load_users

#: cheap argon2 parameters: the tests check the logic, not the cost
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORDS = {"sup01": "pw-sup01", "u3301": "pw-u3301", "u3302": "pw-u3302",
             "screen01": "pw-screen01"}
ROLES = {"sup01": ("supervisor", []), "u3301": ("unit", ["U3301"]),
         "u3302": ("unit", ["U3302", "U3303"]), "screen01": ("screen", [])}


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
    return Item(warning_id=wid, rule_id=rule, level=level, status=status,
                case_id=case or f"C-{wid}", person_id=person, unit_id=unit, due_at=due,
                changed_at="2026-05-01T09:00:00+08:00", message_zh="中", message_en="en",
                evidence=("e1",))


class CannedReader:
    """Answers every query with no rows (explanations then show the open set's state)."""

    db = "test"

    async def execute(self, sql: str, params: dict | None = None) -> list[tuple]:
        if sql.lstrip().startswith("SELECT count()"):
            return [(0,)]
        return []

    def close(self) -> None:
        pass


@dataclass
class LoopbackProducer:
    """Sends to nowhere and applies each action to the open set, after `delay(value)`."""

    open_set: OpenSet
    delays: dict[str, float] = field(default_factory=dict)  # warning id -> seconds
    hang: bool = False  # never answer (Kafka down)
    sent: list[bytes] = field(default_factory=list)
    targets: list[OpenSet] | None = None  # every open set reading the topic (default: own)

    def share(self, log: list, open_sets: list[OpenSet]) -> None:
        """Write to one topic `log` that every open set in `open_sets` reads in order."""
        self.sent = log
        self.targets = open_sets

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None):
        from schemas.warning_action import WarningAction

        action = WarningAction.model_validate_json(value)
        if self.hang:
            await asyncio.Event().wait()
        await asyncio.sleep(self.delays.get(action.warning_id, 0.0))
        self.sent.append(value)
        for target in self.targets or [self.open_set]:
            target.apply_action(action)

    async def stop(self) -> None:
        pass


@dataclass
class Console:
    app: web.Application
    open_set: OpenSet
    producer: LoopbackProducer
    auth: Auth
    api: Api


def console(directory: Path, **settings) -> Console:
    """The console's routes over canned parts. `settings`: WebSettings fields."""
    users = load_users(users_file(directory))
    limiter = LoginLimiter(settings.get("login_failures", 5),
                           settings.get("login_window_seconds", 300.0))
    auth = Auth(users, Signer(b"k" * 32), limiter, settings.get("session_hours", 12.0),
                settings.get("secure_cookie", False))
    open_set = OpenSet(settings.get("ring_size", 20000))
    api = Api(open_set, CannedReader(), "actions", "Asia/Shanghai")
    producer = LoopbackProducer(open_set)
    api.producer = producer
    app = web.Application(middlewares=[security_headers, auth.middleware])

    async def me(request):
        return web.json_response(auth.me(request))

    async def healthz(request):
        return web.json_response({"open": len(open_set.items), "seq": open_set.seq,
                                  "clients": len(open_set.subscribers)})

    async def login_page(request):
        return web.FileResponse(STATIC / "login.html")

    app.add_routes([
        web.get("/login", login_page), web.post("/login", auth.login), web.post("/logout", auth.logout),
        web.get("/healthz", healthz), web.get("/api/me", me),
        web.get("/api/stream", lambda request: stream(request, open_set)),
        *api.routes(),
        *[web.get(path, _page(name)) for path, name in PAGES.items()],
        web.static("/static", STATIC),
    ])
    return Console(app, open_set, producer, auth, api)
