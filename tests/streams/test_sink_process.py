"""streams.sink_process: spawn the sink, restart it with backoff, stop it (TERM, then KILL)."""

import asyncio
import json
import signal
import sys
import time

from streams.settings import Settings
from streams.sink_process import (
    NOTIFY_COMMAND,
    PARENT_PID_ENV,
    SINK_COMMAND,
    SinkProcess,
    SinkService,
    supervised_notify,
    supervised_sink,
)

# A fake sink: appends its start (time, pid, env) to a file, then runs as told.
CHILD = """
import json, os, signal, sys, time
with open(sys.argv[1], "a") as f:
    f.write(json.dumps([time.monotonic(), os.getpid(), dict(os.environ)]) + "\\n")
mode = sys.argv[2]
if mode == "exit":
    sys.exit(3)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def fake(tmp_path, mode: str) -> list[str]:
    return [sys.executable, "-c", CHILD, str(tmp_path / "starts"), mode]


def starts(tmp_path) -> list[list]:
    path = tmp_path / "starts"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


def test_the_child_gets_the_environment_and_stops_on_sigterm(tmp_path):
    async def scenario():
        sink = SinkProcess(fake(tmp_path, "sleep"), env={"CASEWATCH_APP_ID": "it-sp"})
        sink.start()
        await until(lambda: starts(tmp_path))
        await sink.stop()
        return sink

    sink = asyncio.run(scenario())
    [(_, pid, env)] = starts(tmp_path)
    assert env["CASEWATCH_APP_ID"] == "it-sp"
    assert env[PARENT_PID_ENV] == str(__import__("os").getpid())
    assert sink.process.pid == pid
    assert sink.process.returncode == -signal.SIGTERM
    assert sink.starts == 1


def test_an_exiting_child_is_restarted_with_growing_backoff(tmp_path):
    async def scenario():
        sink = SinkProcess(fake(tmp_path, "exit"), first_backoff=0.05, max_backoff=0.2)
        sink.start()
        await until(lambda: len(starts(tmp_path)) >= 5)
        await sink.stop()
        return sink

    sink = asyncio.run(scenario())
    times = [t for t, _, _ in starts(tmp_path)]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(gap >= wait for gap, wait in zip(gaps, [0.05, 0.1, 0.2, 0.2], strict=False))
    assert len({pid for _, pid, _ in starts(tmp_path)}) == len(times) == sink.starts


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path):
    async def scenario():
        sink = SinkProcess(fake(tmp_path, "stubborn"), stop_timeout=0.5)
        sink.start()
        await until(lambda: starts(tmp_path))
        await asyncio.sleep(0.3)  # let it install its SIGTERM handler
        await sink.stop()
        return sink

    sink = asyncio.run(scenario())
    assert sink.process.returncode == -signal.SIGKILL
    assert sink.starts == 1


def test_a_command_that_cannot_start_is_retried_and_stop_still_returns(tmp_path):
    async def scenario():
        sink = SinkProcess([str(tmp_path / "no-such-sink")], first_backoff=0.05)
        sink.start()
        await asyncio.sleep(0.3)
        await asyncio.wait_for(sink.stop(), 5)
        return sink

    sink = asyncio.run(scenario())
    assert sink.starts == 0 and sink.process is None


def test_stop_before_start_is_harmless():
    asyncio.run(SinkProcess(["true"]).stop())


def test_the_worker_runs_the_sink_unless_it_is_off():
    service = supervised_sink(Settings())
    assert isinstance(service, SinkService) and service.sink.command == list(SINK_COMMAND)
    assert supervised_sink(Settings(sink="off")) is None


def test_the_worker_runs_the_notifier_only_when_asked():
    assert supervised_notify(Settings()) is None
    service = supervised_notify(Settings(notify="process"))
    assert isinstance(service, SinkService) and service.sink.command == list(NOTIFY_COMMAND)


def test_the_service_starts_and_stops_the_child_with_the_app(tmp_path):
    async def scenario():
        service = SinkService(SinkProcess(fake(tmp_path, "sleep")))
        await service.start()
        await until(lambda: starts(tmp_path))
        await service.stop()
        return service.sink

    sink = asyncio.run(scenario())
    assert sink.starts == 1 and sink.process.returncode == -signal.SIGTERM
