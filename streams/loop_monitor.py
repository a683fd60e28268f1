"""How long the event loop is blocked: a task sleeps `period` seconds and measures how late
it wakes, and how much of that lateness the loop's thread spent running (CPU time) rather
than waiting for a CPU. A worker whose loop is blocked stops heartbeating and is thrown out
of its group, so casewatch keeps every stretch of work short (streams/runtime.py `drain`).

What blocked it is logged: a watchdog thread looks at the task's last wake-up and, once the
loop has been stuck for `STALL` seconds, logs the stack of the loop's thread at that moment
(once per stall), so a pause names its code instead of only showing in a metric.
"""

import asyncio
import logging
import sys
import threading
import time
import traceback

from streams import metrics

log = logging.getLogger(__name__)
STALL = 0.1  # seconds without a wake-up before the loop's stack is logged


class Watchdog:
    """Logs the stack of `thread_id` when `beat` has not been called for STALL seconds."""

    def __init__(self, thread_id: int, stall: float = STALL):
        self.thread_id = thread_id
        self.stall = stall
        self.last = time.perf_counter()
        self._reported = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loop-watchdog", daemon=True)

    def beat(self) -> None:
        self.last = time.perf_counter()
        self._reported = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> str | None:
        """The stack of the stuck thread, if it is stuck and was not reported yet."""
        stuck = time.perf_counter() - self.last
        if stuck < self.stall or self._reported:
            return None
        frame = sys._current_frames().get(self.thread_id)
        if frame is None:
            return None
        self._reported = True
        stack = "".join(traceback.format_stack(frame, limit=12))
        log.warning("event loop blocked (%.2f s since it last woke), in:\n%s", stuck, stack)
        return stack

    def _run(self) -> None:
        while not self._stop.wait(self.stall / 2):
            self.check()


def held_lag(lag: float, busy: float, period: float) -> float:
    """The part of a wake-up's `lag` the loop's own thread was running: of the `busy` CPU
    seconds it used while the watch slept `period`, what exceeds the period. The rest of the
    lag was spent waiting for a CPU (a machine busier than its cores)."""
    return max(0.0, min(lag, busy - period))


async def watch_loop(period: float = 0.05) -> None:
    worst = worst_held = 0.0
    watchdog = Watchdog(threading.get_ident(), period + STALL)
    watchdog.start()
    try:
        while True:
            started, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(period)
            watchdog.beat()
            lag = max(0.0, time.perf_counter() - started - period)
            held = held_lag(lag, time.thread_time() - cpu, period)
            metrics.LOOP_LAG.observe(lag)
            if lag > worst:
                worst = lag
                metrics.LOOP_LAG_MAX.set(worst)
            if held > worst_held:
                worst_held = held
                metrics.LOOP_HELD_MAX.set(worst_held)
    finally:
        watchdog.stop()
