"""The live feed as server-sent events.

`id:` is the open set's sequence number. A client resumes with the Last-Event-ID header
(sent by EventSource on reconnect) or `?since=N` (the `seq` of the snapshot it loaded);
it receives every event after it in its scope, or `event: resync` when the id is not in
this process's ring (too old, or from before a restart) and must reload the snapshot.
"""

import asyncio
import contextlib

from aiohttp import web

from web.open_set import OpenSet

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 1000


def frame(seq: int, data: str) -> bytes:
    return f"id: {seq}\ndata: {data}\n\n".encode()


def resume_point(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query.get("since")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # not one of ours: resync


async def stream(request: web.Request, open_set: OpenSet) -> web.StreamResponse:
    scope = request["user"].scope
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store",
        "X-Accel-Buffering": "no"})
    await response.prepare(request)
    await response.write(f"retry: {RETRY_MS}\n\n".encode())
    last = resume_point(request)
    # subscribe and read the backlog in one step of the loop: no event falls between
    sub = open_set.subscribe(scope)
    try:
        backlog = [] if last is None else open_set.since(last, scope)
        if backlog is None:
            await response.write(f"event: resync\ndata: {open_set.seq}\n\n".encode())
            return response
        if last is None:  # a bare connection starts at the current position
            await response.write(b": live\n\n")
        if backlog:
            await response.write(b"".join(frame(s, d) for s, d in backlog))
        sent = backlog[-1][0] if backlog else (last or 0)
        while not sub.overflowed:
            try:
                seq, data = await asyncio.wait_for(sub.queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await response.write(b": ping\n\n")
                continue
            if seq <= sent:
                continue  # already sent in the backlog
            chunk = [frame(seq, data)]
            while not sub.queue.empty():  # whatever else is queued goes in the same write
                seq, data = sub.queue.get_nowait()
                chunk.append(frame(seq, data))
            await response.write(b"".join(chunk))
            sent = seq
    except ConnectionResetError:
        pass  # the client went away
    finally:
        open_set.unsubscribe(sub)
        with contextlib.suppress(Exception):
            await response.write_eof()
    return response
