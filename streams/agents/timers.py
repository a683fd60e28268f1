"""Deadlines fire with no new event: the due index is read every `tick_interval`, and idle
cases leave memory."""

import time

import faust

from streams import metrics
from streams.runtime import Runtime
from streams.work import Job

DUES_PER_JOB = 2000
EVICT_INTERVAL = 10.0


def register(app: faust.App, runtime: Runtime, submit, fatal) -> None:
    @app.timer(interval=runtime.settings.tick_interval, name="fire_due")
    async def fire_due() -> None:
        try:
            while runtime.ready:
                async with runtime.lock:
                    dues = runtime.due_now(DUES_PER_JOB)
                    if not dues:
                        break
                    await submit(Job(dues=dues))
        except Exception as exc:
            fatal(exc)
        oldest = runtime.due_index.oldest()
        metrics.DUE_INDEX_SIZE.set(len(runtime.due_index))
        metrics.OLDEST_DUE_DELAY.set(max(0.0, time.time() - oldest) if oldest else 0.0)
        metrics.CALENDAR_FALLBACK.set(len(runtime.processor.engine.calendar.fallback_years))

    @app.timer(interval=EVICT_INTERVAL, name="evict_idle")
    async def evict_idle() -> None:
        async with runtime.lock:
            runtime.cache.evict(time.monotonic())
        metrics.CACHED_CASES.set(len(runtime.cache))
