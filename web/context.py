"""What the console's modules share, and where they register themselves.

A page module (the API, export, search, the audit page, …) gets the Context and adds its
routes and pages with `ctx.add_routes([...])` and `ctx.page(path, file, roles, nav)`;
the server registers each module with one line (web/server.py, MODULES). Pages with a
`nav` entry appear in every page's header for the roles allowed (GET /api/me: `nav`)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from schemas.units import UnitRegistry
from streams.settings import Settings
from web.audit import AccessLog
from web.open_set import OpenSet
from web.problem_set import ProblemSet
from web.settings import WebSettings


@dataclass(frozen=True)
class Page:
    path: str
    file: str  # in web/static/
    roles: frozenset[str] | None  # None: every role that reaches pages
    nav: tuple[str, str, str] | None  # (key, Chinese label, English label)


@dataclass
class Context:
    settings: Settings
    web_settings: WebSettings
    open_set: OpenSet
    reader: object  # web.reader.Reader, or any object with `db` and `execute`
    units: Callable[[], UnitRegistry]
    access: AccessLog
    actions_topic: str
    producer: object = None  # AIOKafkaProducer, started with the application
    problems: ProblemSet = None  # web/problem_feed.py fills it; its items are the open set's
    routes: list[web.RouteDef] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.problems is None:
            self.problems = ProblemSet(self.open_set)

    def add_routes(self, routes: list[web.RouteDef]) -> None:
        self.routes.extend(routes)

    def page(self, path: str, file: str, roles: set[str] | None = None,
             nav: tuple[str, str, str] | None = None) -> None:
        self.pages.append(Page(path, file, frozenset(roles) if roles else None, nav))

    def nav_for(self, role: str) -> list[dict]:
        return [{"path": p.path, "key": p.nav[0], "zh": p.nav[1], "en": p.nav[2]}
                for p in self.pages if p.nav and (p.roles is None or role in p.roles)]
