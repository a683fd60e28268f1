"""Health and readiness on Faust's web server: GET /health and /ready.

/health is 200 only while the worker can do its work: the source loop polls, every timer
runs, no partition stays fenced, the clock is within its limit. /ready is 200 once every
owned partition is restored and active.
"""

import time

import faust

from streams.clock_guard import ClockGuard
from streams.runtime import Runtime
from streams.source import Source
from streams.task import LOST

STALE = {"source": 30.0, "fire_due": 10.0, "evict_idle": 60.0, "check_clock": 30.0,
         "sweep": 30.0, "watch_rules": 60.0}
LOST_TOO_LONG = 60.0


def problems(runtime: Runtime, source: Source, clock: ClockGuard, beats: dict[str, float],
             now: float) -> list[str]:
    out = []
    if now - source.polled_at > STALE["source"]:
        out.append("the source has not polled Kafka for "
                   f"{now - source.polled_at:.0f} s")
    for name, beat in beats.items():
        if now - beat > STALE[name]:
            out.append(f"timer {name} has not run for {now - beat:.0f} s")
    for p, task in runtime.tasks.items():
        if task.state == LOST and now - task.retry_at > LOST_TOO_LONG:
            out.append(f"partition {p} is fenced and not taken up again")
    if not clock.ok:
        out.append(f"the clock is {clock.skew:.1f} s off the broker's "
                   f"(limit {clock.max_skew:.1f} s): jobs are held")
    return out


def register(app: faust.App, runtime: Runtime, source: Source, clock: ClockGuard) -> None:
    @app.page("/health")
    async def health(web, request):
        found = problems(runtime, source, clock, app.timer_beats, time.monotonic())
        body = {"status": "ok" if not found else "failing", "problems": found,
                "clock_skew_seconds": clock.skew}
        return web.json(body, status=200 if not found else 503)

    @app.page("/ready")
    async def ready(web, request):
        body = {"ready": runtime.ready,
                "partitions": {p: t.state for p, t in sorted(runtime.tasks.items())},
                "due": len(runtime.due_index)}
        return web.json(body, status=200 if runtime.ready else 503)
