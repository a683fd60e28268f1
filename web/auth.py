"""Login, logout, screen enrolment and the session middleware.

- Sessions live server-side (web.sessions): logout and revocation end them at once, and an
  idle session ends after CASEWATCH_WEB_SESSION_IDLE_MINUTES.
- Login takes only `application/json` from the same origin (Origin / Sec-Fetch-Site), so
  no cross-site form can log a browser in. Attempts are counted before the password is
  checked (web.ratelimit); password checks run in a small pool of their own.
- The client's address is read through trusted proxies only (web.client_address).
- The screen role reaches the big screen and its figures only.
- Non-GET requests need the session's CSRF token (400 when the header is malformed).
"""

import asyncio
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from aiohttp import web

from schemas.units import UnitRegistry
from web.audit import AccessLog
from web.client_address import client_address
from web.errors import error
from web.ratelimit import LoginLimiter
from web.scope import Scope
from web.sessions import COOKIE, CSRF_HEADER, Csrf, Session, SessionStore
from web.settings import WebSettings
from web.users import USER_ID, User, verify_password

log = logging.getLogger(__name__)

PUBLIC = ("/login", "/static/", "/healthz", "/screen/enrol")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SCREEN_PATHS = frozenset({"/screen", "/api/screen", "/api/me", "/api/rules", "/api/units",
                          "/logout"})
_USER_ID = re.compile(USER_ID)
QUEUED_CHECKS_PER_THREAD = 8  # password checks waiting beyond this: 503 busy


def same_origin(request: web.Request, public_origin: str | None) -> bool:
    """Whether a browser request comes from a page of this site (non-browser clients send
    neither header and pass)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if public_origin:
        return origin.rstrip("/") == public_origin.rstrip("/")
    return urlsplit(origin).netloc == request.host


class Auth:
    def __init__(self, users: dict[str, User], sessions: SessionStore, csrf: Csrf,
                 limiter: LoginLimiter, settings: WebSettings,
                 registry: Callable[[], UnitRegistry], access: AccessLog):
        self.users = users
        self.sessions = sessions
        self.csrf = csrf
        self.limiter = limiter
        self.settings = settings
        self.lifetime = settings.session_hours * 3600
        self.registry = registry
        self.access = access
        self.proxies = settings.proxies()
        self._checks = ThreadPoolExecutor(settings.hash_concurrency,
                                          thread_name_prefix="password")
        self._waiting = 0

    def address(self, request: web.Request) -> str:
        return client_address(request.remote, request.headers.get("X-Forwarded-For"),
                              self.proxies)

    def user_of(self, session: Session) -> User | None:
        if session.kind == "screen":
            return User.model_construct(id=session.user_id, role="screen",
                                        units=frozenset(), password_hash="")
        user = self.users.get(session.user_id)
        return user if user is not None and user.role == session.role else None

    def scope_of(self, user: User) -> Scope:
        return Scope(user.units if user.role == "unit" else None, self.registry)

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        request["address"] = self.address(request)
        if request.path.startswith(PUBLIC):
            return await handler(request)
        session = self.sessions.get(request.cookies.get(COOKIE))
        user = self.user_of(session) if session else None
        if user is None and request.path == "/screen" and request.method == "GET":
            return await handler(request)  # a page without data: a display enrols from it
        if user is None:
            if request.path.startswith("/api/") or request.method not in SAFE_METHODS:
                raise error(web.HTTPUnauthorized, "login_required")
            raise web.HTTPFound(f"/login?next={request.path_qs}")
        if user.role == "screen" and request.path not in SCREEN_PATHS:
            if request.path.startswith("/api/"):
                raise error(web.HTTPForbidden, "forbidden")
            raise web.HTTPFound("/screen")
        if request.method not in SAFE_METHODS:
            token = request.headers.get(CSRF_HEADER)
            if token is None:
                raise error(web.HTTPForbidden, "bad_csrf")
            if not token.isascii() or len(token) > 128:
                raise error(web.HTTPBadRequest, "malformed_csrf")
            if not self.csrf.ok(session, token):
                raise error(web.HTTPForbidden, "bad_csrf")
        request["user"] = user
        request["session"] = session
        request["scope"] = self.scope_of(user)
        return await handler(request)

    async def _json_from_this_site(self, request: web.Request) -> dict:
        if request.content_type != "application/json":
            raise error(web.HTTPUnsupportedMediaType, "json_required")
        if not same_origin(request, self.settings.public_origin):
            raise error(web.HTTPForbidden, "cross_site")
        try:
            body = await request.json()
        except ValueError:
            raise error(web.HTTPBadRequest, "bad_request") from None
        if not isinstance(body, dict):
            raise error(web.HTTPBadRequest, "bad_request")
        return body

    async def login(self, request: web.Request) -> web.Response:
        form = await self._json_from_this_site(request)
        user_id, password = form.get("user"), form.get("password")
        if not isinstance(user_id, str) or not isinstance(password, str):
            raise error(web.HTTPBadRequest, "bad_request")
        if not _USER_ID.fullmatch(user_id) or len(password) > 1024:
            raise error(web.HTTPBadRequest, "bad_user_id")
        address = request["address"]
        by_address, by_user = f"addr:{address}", f"user:{user_id}"
        wait = max(self.limiter.wait(by_address, progressive=False),
                   self.limiter.wait(by_user, progressive=True))
        if wait > 0:
            raise error(web.HTTPTooManyRequests, "too_many_attempts",
                        headers={"Retry-After": str(int(wait) + 1)})
        if self._waiting >= self.settings.hash_concurrency * QUEUED_CHECKS_PER_THREAD:
            raise error(web.HTTPServiceUnavailable, "busy", headers={"Retry-After": "2"})
        user = self.users.get(user_id)
        self.limiter.begin(by_address, by_user)
        self._waiting += 1
        try:
            ok = await asyncio.get_running_loop().run_in_executor(
                self._checks, verify_password, user, password)
        finally:
            self._waiting -= 1
            self.limiter.end(by_address, by_user)
        if not ok or user is None:
            log.info("failed login for user id %r from %s", user_id, address)
            try:
                await self.access.record(None, "login_failed", actor_id=user_id,
                                         address=address)
            except web.HTTPException:
                pass  # logged by the access log; the refusal stands
            raise error(web.HTTPUnauthorized, "bad_login")
        self.limiter.forget(by_user)
        self.limiter.refund(by_address)
        await self.access.record(None, "login", actor_id=user.id, actor_role=user.role,
                                 address=address)
        token, _ = self.sessions.create(user.id, user.role, self.lifetime)
        response = web.json_response({"user": user.public()})
        self._set_cookie(response, token, self.lifetime)
        log.info("login %s (%s) from %s", user.id, user.role, address)
        return response

    def _set_cookie(self, response: web.Response, token: str, lifetime: float) -> None:
        response.set_cookie(COOKIE, token, max_age=int(lifetime), httponly=True,
                            samesite="Strict", secure=self.settings.secure_cookie, path="/")

    async def enrol_screen(self, request: web.Request) -> web.Response:
        """A wall display presents its screen token once; it gets a session for the
        token's lifetime, ended when the token is revoked."""
        form = await self._json_from_this_site(request)
        address = request["address"]
        key = f"addr:{address}"
        wait = self.limiter.wait(key, progressive=False)
        if wait > 0:
            raise error(web.HTTPTooManyRequests, "too_many_attempts",
                        headers={"Retry-After": str(int(wait) + 1)})
        token = form.get("token")
        found = self.sessions.screen_token(token) if isinstance(token, str) else None
        if found is None:
            self.limiter.begin(key)
            self.limiter.end(key)
            raise error(web.HTTPUnauthorized, "bad_login")
        name, expires = found
        lifetime = expires - self.sessions.now()
        await self.access.record(None, "login", actor_id=f"screen:{name}",
                                 actor_role="screen", address=address)
        cookie, _ = self.sessions.create(f"screen:{name}", "screen", lifetime, kind="screen",
                                         screen_token=name)
        response = web.json_response({"screen": name})
        self._set_cookie(response, cookie, lifetime)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        self.sessions.revoke(request["session"].id)
        await self.access.record(request, "logout")
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    def me(self, request: web.Request) -> dict:
        return {**request["user"].public(),
                "csrf": self.csrf.token(request["session"]),
                "csrf_header": CSRF_HEADER}
