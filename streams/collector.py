"""The garbage collector kept from pausing the worker's event loop.

CPython 3.11's collector is not incremental: a full collection scans every tracked object
at once. The worker's long-lived state is large (20,000 cached cases hold about 1.4 million
tracked objects), so each automatic full collection paused the loop for 1 to 2.4 s while a
million obligations loaded (bench/pipeline_bench.py). That state holds no reference cycles:
a case that leaves the cache is freed by its reference count (a full collection after the
cache is emptied finds nothing; tests/streams/test_collector.py). So the worker freezes
what it holds each time it hands the loop back (`settle`): the young generations are
collected first, which is cheap (they hold a few thousand objects at most), and the
survivors move to the collector's permanent generation, which automatic collections never
scan. What was made since the last hand-back is all they see.

A freeze keeps cyclic garbage that was not found before it until the next `sweep`, which
unfreezes and collects everything every `CASEWATCH_GC_SWEEP_INTERVAL` seconds: a pause as
long as a full collection (about 1 s with a full cache), counted in
casewatch_gc_pause_seconds; what it finds is counted in casewatch_gc_swept_objects_total,
so a leak shows there.
"""

import gc
import time

from streams import metrics


def settle() -> None:
    """Collect the young generations, then freeze every survivor."""
    gc.collect(1)
    gc.freeze()


def sweep() -> int:
    """A full collection of everything, frozen or not; returns the objects it found."""
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    metrics.GC_SWEPT.inc(found)
    return found


class PauseMeter:
    """A gc callback timing every collection into casewatch_gc_pause_seconds."""

    def __init__(self) -> None:
        self._started: float | None = None
        self.worst = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        if self._started is None:
            return
        pause, self._started = time.perf_counter() - self._started, None
        metrics.GC_PAUSE.labels(str(info["generation"])).observe(pause)
        if pause > self.worst:
            self.worst = pause
            metrics.GC_PAUSE_MAX.set(pause)


def measure_pauses() -> PauseMeter:
    """Time the process's collections from now on (once per process)."""
    for callback in gc.callbacks:
        if isinstance(callback, PauseMeter):
            return callback
    meter = PauseMeter()
    gc.callbacks.append(meter)
    return meter
