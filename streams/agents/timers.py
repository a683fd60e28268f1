"""Deadlines fire with no new event: the due index is read every `tick_interval`; idle
cases leave memory and the frozen state is swept (streams/collector.py); the clock is
checked against the broker's; partitions whose rule set changed re-time their cases; a
watched rule set directory is applied when it changes. Every timer is supervised: an error
in one stops the worker (loudly), it never dies alone."""

import asyncio
import time

import faust

from streams import collector, metrics
from streams.clock_guard import ClockGuard
from streams.rules_watch import RULES_WATCH_INTERVAL, RulesWatch
from streams.runtime import Runtime
from streams.work import Job

DUES_PER_JOB = 2000
EVICT_INTERVAL = 10.0
EVICT_STEP = 1000  # idle cases freed between two hand-backs of the event loop


def register(app: faust.App, runtime: Runtime, clock: ClockGuard, submit, fatal) -> None:
    beats: dict[str, float] = {}
    app.timer_beats = beats  # for /health: when each timer last ran (monotonic)

    @app.timer(interval=runtime.settings.tick_interval, name="fire_due")
    async def fire_due() -> None:
        try:
            beats["fire_due"] = time.monotonic()
            while clock.ok:
                async with runtime.lock:
                    dues = runtime.due_now(DUES_PER_JOB)
                    if not dues:
                        break
                    await submit(Job(dues=dues))
            oldest = runtime.due_index.oldest()
            metrics.DUE_INDEX_SIZE.set(len(runtime.due_index))
            metrics.OLDEST_DUE_DELAY.set(max(0.0, time.time() - oldest) if oldest else 0.0)
            metrics.CALENDAR_FALLBACK.set(len(runtime.processor.engine.calendar.fallback_years))
        except Exception as exc:
            fatal(exc)

    swept = time.monotonic()

    @app.timer(interval=EVICT_INTERVAL, name="evict_idle")
    async def evict_idle() -> None:
        """Idle cases leave memory; what no longer lives is swept now and then."""
        nonlocal swept
        try:
            beats["evict_idle"] = now = time.monotonic()
            while True:
                async with runtime.lock:
                    if runtime.cache.evict(now, EVICT_STEP) < EVICT_STEP:
                        break
                await asyncio.sleep(0)
            async with runtime.lock:
                interval = runtime.settings.gc_sweep_interval
                if interval and now - swept >= interval:
                    collector.sweep()
                    swept = now
            metrics.CACHED_CASES.set(len(runtime.cache))
        except Exception as exc:
            fatal(exc)

    @app.timer(interval=0.2, name="sweep")
    async def sweep() -> None:
        """Re-time the cases of partitions whose rule set changed, a step at a time."""
        try:
            beats["sweep"] = time.monotonic()
            if clock.ok and runtime.sweeping:
                async with runtime.lock:
                    partitions = sorted(p for p in runtime.sweeping if runtime.active(p))
                    if partitions:
                        await submit(Job(sweep=partitions))
        except Exception as exc:
            fatal(exc)

    if runtime.settings.rules_dir is not None:
        watch = RulesWatch(runtime.settings, runtime.book)

        @app.timer(interval=RULES_WATCH_INTERVAL, name="watch_rules")
        async def watch_rules() -> None:
            try:
                beats["watch_rules"] = time.monotonic()
                await watch.check()
            except Exception as exc:
                fatal(exc)

    @app.timer(interval=1.0, name="check_clock")
    async def check_clock() -> None:
        try:
            beats["check_clock"] = time.monotonic()
            if clock.due():
                await clock.probe()
        except Exception as exc:
            fatal(exc)
