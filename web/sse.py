"""The live feed as server-sent events.

`id:` is the open set's sequence number. A client resumes with the Last-Event-ID header
(sent by EventSource on reconnect) or `?since=N` (the `seq` of the snapshot it loaded);
it receives every event after it in its scope, or `event: resync` when the id is not in
this process's ring (too old, or from before a restart) and must reload the snapshot.
`?warning=ID` or `?problem=ID` follows one item (an explanation page), not the whole feed.

Bounded: a few streams per session and a cap for the server (429/503 beyond), a small
queue per stream, and a timeout on every write, so a stalled client is cut (it resumes by
Last-Event-ID) instead of holding memory. A stream ends when its session ends (logout,
revocation, expiry, idle time). Heartbeats carry the server's health (`event: status`).
"""

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable

from aiohttp import web

from web.errors import error
from web.open_set import PROBLEM, WARNING, Key, OpenSet, frame

HEARTBEAT_SECONDS = 15.0
SESSION_CHECK_SECONDS = 2.0
RETRY_MS = 1000


def resume_point(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query.get("since")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # not one of ours: resync


class Streams:
    def __init__(self, open_set: OpenSet, per_session: int, total: int, queue_size: int,
                 write_timeout: float, session_alive: Callable[[str], bool],
                 status: Callable[[], dict]):
        self.open_set = open_set
        self.per_session = per_session
        self.total = total
        self.queue_size = queue_size
        self.write_timeout = write_timeout
        self.session_alive = session_alive
        self.status = status
        self.by_session: Counter[str] = Counter()

    async def _write(self, response: web.StreamResponse, data: bytes) -> None:
        async with asyncio.timeout(self.write_timeout):
            await response.write(data)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        session = request["session"]
        if self.by_session[session.id] >= self.per_session:
            raise error(web.HTTPTooManyRequests, "too_many_streams")
        if sum(self.by_session.values()) >= self.total:
            raise error(web.HTTPServiceUnavailable, "server_busy")
        subject = next(((kind, request.query[kind]) for kind in (WARNING, PROBLEM)
                        if request.query.get(kind)), None)
        self.by_session[session.id] += 1
        try:
            return await self._serve(request, session.id, subject)
        finally:
            self.by_session[session.id] -= 1
            if self.by_session[session.id] <= 0:
                del self.by_session[session.id]

    async def _serve(self, request: web.Request, session_id: str,
                     subject: Key | None) -> web.StreamResponse:
        scope = request["scope"]
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-store",
            "X-Accel-Buffering": "no"})
        await response.prepare(request)
        last = resume_point(request)
        # subscribe and read the backlog in one step of the loop: no event falls between
        sub = self.open_set.subscribe(scope, self.queue_size, subject, session_id)
        stalled = False
        try:
            await self._write(response, f"retry: {RETRY_MS}\n\n".encode())
            backlog = [] if last is None else self.open_set.since(last, scope, subject)
            if backlog is None:
                await self._write(response, f"event: resync\ndata: {self.open_set.seq}\n\n"
                                  .encode())
                return response
            if last is None:  # a bare connection starts at the current position
                await self._write(response, b": live\n\n")
            if backlog:
                await self._write(response, b"".join(frame(s, d) for s, d in backlog))
            await self._write(response, self._status_frame())
            sent = backlog[-1][0] if backlog else (last or 0)
            beat = time.monotonic() + HEARTBEAT_SECONDS
            while not sub.overflowed:
                if not self.session_alive(session_id):
                    await self._write(response, b"event: logout\ndata: {}\n\n")
                    break
                try:
                    async with asyncio.timeout(SESSION_CHECK_SECONDS):
                        seq, data = await sub.queue.get()
                except TimeoutError:
                    if time.monotonic() >= beat:
                        await self._write(response, self._status_frame())
                        beat = time.monotonic() + HEARTBEAT_SECONDS
                    continue
                if seq <= sent:
                    continue  # already sent in the backlog
                chunk = [data]
                while not sub.queue.empty():  # whatever else is queued goes in the same write
                    seq, data = sub.queue.get_nowait()
                    chunk.append(data)
                await self._write(response, b"".join(chunk))
                sent = seq
        except ConnectionResetError:
            pass  # the client went away
        except TimeoutError:
            stalled = True  # it resumes by Last-Event-ID when it reads again
        finally:
            self.open_set.unsubscribe(sub)
            if stalled or sub.overflowed:
                if request.transport is not None:
                    request.transport.abort()
            else:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(response.write_eof(), 1.0)
        return response

    def _status_frame(self) -> bytes:
        data = json.dumps(self.status(), ensure_ascii=False, separators=(",", ":"))
        return f"event: status\ndata: {data}\n\n".encode()
