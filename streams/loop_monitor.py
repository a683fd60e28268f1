"""How long the event loop is blocked: a task sleeps `period` seconds and measures how late
it wakes. A worker whose loop is blocked stops heartbeating and is thrown out of its group,
so casewatch keeps every stretch of work short (streams/runtime.py `drain`)."""

import asyncio
import time

from streams import metrics


async def watch_loop(period: float = 0.05) -> None:
    worst = 0.0
    while True:
        started = time.perf_counter()
        await asyncio.sleep(period)
        lag = max(0.0, time.perf_counter() - started - period)
        metrics.LOOP_LAG.observe(lag)
        if lag > worst:
            worst = lag
            metrics.LOOP_LAG_MAX.set(worst)
