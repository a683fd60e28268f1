"""Login, logout and the session middleware: 401 without a session, 403 without CSRF."""

import asyncio
import logging

from aiohttp import web

from web.ratelimit import LoginLimiter
from web.session import COOKIE, CSRF_HEADER, Signer
from web.users import User, verify_password

log = logging.getLogger(__name__)

PUBLIC = ("/login", "/static/", "/healthz")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Auth:
    def __init__(self, users: dict[str, User], signer: Signer, limiter: LoginLimiter,
                 session_hours: float, secure_cookie: bool):
        self.users = users
        self.signer = signer
        self.limiter = limiter
        self.lifetime = session_hours * 3600
        self.secure = secure_cookie

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        if request.path.startswith(PUBLIC):
            return await handler(request)
        session = self.signer.read(request.cookies.get(COOKIE))
        user = self.users.get(session.user_id) if session else None
        if user is None:
            if request.path.startswith("/api/"):
                raise web.HTTPUnauthorized(text='{"error":"login required"}',
                                           content_type="application/json")
            raise web.HTTPFound(f"/login?next={request.path_qs}")
        if request.method not in SAFE_METHODS and not self.signer.csrf_ok(
                session, request.headers.get(CSRF_HEADER)):
            raise web.HTTPForbidden(text='{"error":"bad CSRF token"}',
                                    content_type="application/json")
        request["user"] = user
        request["session"] = session
        return await handler(request)

    async def login(self, request: web.Request) -> web.Response:
        try:
            form = await request.json()
            user_id, password = str(form["user"]), str(form["password"])
        except (ValueError, KeyError, TypeError):
            raise web.HTTPBadRequest(text='{"error":"user and password expected"}',
                                     content_type="application/json") from None
        keys = (f"addr:{request.remote}", f"user:{user_id}")
        wait = self.limiter.retry_after(*keys)
        if wait > 0:
            raise web.HTTPTooManyRequests(
                text='{"error":"too many attempts"}', content_type="application/json",
                headers={"Retry-After": str(int(wait) + 1)})
        user = self.users.get(user_id)
        ok = await asyncio.get_running_loop().run_in_executor(
            None, verify_password, user, password)
        if not ok or user is None:
            self.limiter.failed(*keys)
            log.info("failed login for user id %r from %s", user_id, request.remote)
            raise web.HTTPUnauthorized(text='{"error":"wrong user or password"}',
                                       content_type="application/json")
        self.limiter.succeeded(*keys)
        cookie, _ = self.signer.issue(user.id, self.lifetime)
        response = web.json_response({"user": user.public()})
        response.set_cookie(COOKIE, cookie, max_age=int(self.lifetime), httponly=True,
                            samesite="Strict", secure=self.secure, path="/")
        log.info("login %s (%s)", user.id, user.role)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    def me(self, request: web.Request) -> dict:
        return {**request["user"].public(),
                "csrf": self.signer.csrf_token(request["session"]),
                "csrf_header": CSRF_HEADER}
