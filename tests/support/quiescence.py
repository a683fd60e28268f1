"""Wait until a sandbox's pipeline has nothing left to do."""

import os
import time
from datetime import UTC, datetime

from tests.support.kafka_topics import committed_offsets, end_offsets


def lag(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Messages of `topic` past the group's committed offset, per partition with any."""
    committed = committed_offsets(bootstrap, group, topic)
    return {p: end - committed.get(p, 0)
            for p, end in end_offsets(bootstrap, topic).items() if end != committed.get(p, 0)}


def _check_alive(sandbox, lags) -> None:
    if sandbox.workers and not any(w.alive or w.supervised for w in sandbox.workers):
        codes = [w.proc.returncode for w in sandbox.workers if w.proc]
        raise AssertionError(f"every worker exited ({codes}) with lags {lags}")


def wait_quiescent(sandbox, timeout: float = 300.0, settle: float | None = None) -> datetime:
    """Until the worker group has committed every input and the warnings topic has not
    grown for `settle` seconds; return that instant.

    Raises with the lag seen last when it does not happen within `timeout`."""
    settle = settle if settle is not None else float(
        os.environ.get("CASEWATCH_FAULT_SETTLE_SECONDS", "3"))
    bootstrap = sandbox.stack.bootstrap
    deadline = time.monotonic() + timeout
    warnings_end, stable_since = None, None
    while True:
        worker_lag = lag(bootstrap, sandbox.worker_group, sandbox.topic("case-events"))
        _check_alive(sandbox, worker_lag)
        now = time.monotonic()
        if worker_lag:
            stable_since = None
        else:
            ends = end_offsets(bootstrap, sandbox.topic("warnings"))
            if ends != warnings_end:
                warnings_end, stable_since = ends, now
            elif now - stable_since >= settle:
                return datetime.now(UTC)
        if now > deadline:
            raise AssertionError(f"worker group lag {worker_lag} after {timeout} s")
        time.sleep(0.5)


def wait_sink(sandbox, timeout: float = 60.0) -> dict[int, int]:
    """Until the sink group has committed every row; the lag left when it has not."""
    deadline = time.monotonic() + timeout
    while (rows_lag := lag(sandbox.stack.bootstrap, sandbox.sink_group,
                           sandbox.topic("case-rows"))) and time.monotonic() < deadline:
        time.sleep(0.5)
    return rows_lag


def wait_processed(sandbox, count: int, timeout: float = 180.0) -> None:
    """Until the worker group has committed `count` input messages in all."""
    bootstrap, topic = sandbox.stack.bootstrap, sandbox.topic("case-events")
    deadline = time.monotonic() + timeout
    while (done := sum(committed_offsets(bootstrap, sandbox.worker_group, topic).values())) < count:
        _check_alive(sandbox, {"committed": done})
        if time.monotonic() > deadline:
            raise AssertionError(f"worker group committed {done} of {count} inputs in {timeout} s")
        time.sleep(0.3)
