"""Keep `casewatch sink` running as a child process of the worker.

The worker runs one `SinkProcess`, wrapped as a mode Service (`supervised_sink(settings)`,
then `app.service(...)`). It spawns the sink with the worker's environment, restarts it with
backoff whenever it exits (1 s, 2 s, ... up to 30 s; back to 1 s after a run of a minute or
more), and on `stop()` sends SIGTERM, then SIGKILL after a grace period. The child stays in
the worker's process group and also stops by itself when the worker is gone (it watches its
parent id, passed in CASEWATCH_SINK_PARENT_PID), so a SIGKILLed worker leaves no sink behind.
"""

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

from mode import Service

from streams.settings import Settings

log = logging.getLogger(__name__)

PARENT_PID_ENV = "CASEWATCH_SINK_PARENT_PID"
SINK_COMMAND = (sys.executable, "-m", "cli.main", "sink")
NOTIFY_COMMAND = (sys.executable, "-m", "cli.main", "notify")


class SinkProcess:
    def __init__(
        self,
        command: Sequence[str] = SINK_COMMAND,
        env: Mapping[str, str] | None = None,
        *,
        first_backoff: float = 1.0,
        max_backoff: float = 30.0,
        stable_after: float = 60.0,
        stop_timeout: float = 15.0,
    ):
        self.command = list(command)
        self.env = {**(os.environ if env is None else env), PARENT_PID_ENV: str(os.getpid())}
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.stop_timeout = stop_timeout
        self.starts = 0  # children spawned so far
        self.process: asyncio.subprocess.Process | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Spawn the sink and supervise it in a task of the running loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._supervise())

    async def stop(self) -> None:
        """Stop supervising; SIGTERM the child, SIGKILL it after `stop_timeout` seconds."""
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def _supervise(self) -> None:
        delay = self.first_backoff
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self.process = await asyncio.create_subprocess_exec(
                    *self.command, env=self.env, stdin=subprocess.DEVNULL)
            except OSError as exc:
                log.error("cannot start the sink %s: %s", self.command, exc)
            else:
                self.starts += 1
                log.info("sink process %d started", self.process.pid)
                if await self._wait_or_stop(self.process):
                    return
                log.error("sink process %d exited with %s; restarting in %.2g s",
                          self.process.pid, self.process.returncode, delay)
            if time.monotonic() - started >= self.stable_after:
                delay = self.first_backoff
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(delay * 2, self.max_backoff)

    async def _wait_or_stop(self, process: asyncio.subprocess.Process) -> bool:
        """Wait until the child exits (False) or we are told to stop it (True)."""
        exited = asyncio.ensure_future(process.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if exited.done():
            return False
        await self._terminate(process, exited)
        return True

    async def _terminate(self, process: asyncio.subprocess.Process, exited: asyncio.Future):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(exited), self.stop_timeout)
        except TimeoutError:
            log.warning("sink process %d ignored SIGTERM for %.0f s; killing it",
                        process.pid, self.stop_timeout)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await exited
        log.info("sink process %d stopped (%s)", process.pid, process.returncode)


class SinkService(Service):
    """A SinkProcess as a mode Service of the worker's app: `app.service(SinkService(...))`
    starts the sink with the worker and stops it when the worker stops."""

    def __init__(self, sink: SinkProcess, **kwargs):
        super().__init__(**kwargs)
        self.sink = sink

    async def on_start(self) -> None:
        self.sink.start()

    async def on_stop(self) -> None:
        await self.sink.stop()


def supervised_sink(settings: Settings) -> SinkService | None:
    """The sink the worker runs as its child, or None with CASEWATCH_SINK=off."""
    return SinkService(SinkProcess()) if settings.sink == "process" else None


def supervised_notify(settings: Settings) -> SinkService | None:
    """`casewatch notify` as the worker's supervised child with CASEWATCH_NOTIFY=process
    (the same restart and stop rules as the sink); None by default (run it yourself)."""
    return SinkService(SinkProcess(NOTIFY_COMMAND)) if settings.notify == "process" else None
