"""Delivery: one queue and one sender task per receiver (a slow or broken receiver delays
no other, and each receiver gets its messages in order), retries with exponential backoff,
every attempt reported.

`report(Attempt)` is called after each attempt; the service persists it (and removes a
delivered notification from the outbox) and then resolves `attempt.recorded`. A sender
waits for that before its next attempt, so at most one delivery per receiver is ever
done and not yet recorded: what a crash can make a receiver get twice.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from notify.config import Config
from notify.notification import Notification
from notify.receivers.base import DeliveryError
from notify.render import Rendered, render

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Attempt:
    notification: Notification
    ok: bool
    error: str
    final: bool  # no further attempt will be made (delivered, or given up)
    latency_ms: int
    title: str
    recorded: asyncio.Future | None = None  # resolved once the attempt is persisted


class Delivery:
    def __init__(self, config: Config, receivers: dict[str, object],
                 report: Callable[[Attempt], None], sleep=asyncio.sleep):
        self.config = config
        self.receivers = receivers
        self.report = report
        self.sleep = sleep
        self._queues: dict[str, asyncio.Queue] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._queued: set[str] = set()  # notification ids queued or being sent

    def update(self, config: Config, receivers: dict[str, object]) -> None:
        """A reloaded file: later attempts use the new receivers and settings."""
        self.config, self.receivers = config, receivers

    def submit(self, notification: Notification) -> None:
        """Queue a pending notification (once, however often it is submitted)."""
        nid = notification.notification_id
        if nid in self._queued:
            return
        self._queued.add(nid)
        name = notification.receiver
        if name not in self._queues:
            self._queues[name] = asyncio.Queue()
            self._tasks[name] = asyncio.get_running_loop().create_task(self._run(name))
        self._queues[name].put_nowait(notification)

    def queued(self) -> int:
        return len(self._queued)

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def _run(self, name: str) -> None:
        queue = self._queues[name]
        while True:
            notification = await queue.get()
            try:
                await self._deliver(notification)
            finally:
                self._queued.discard(notification.notification_id)

    async def _deliver(self, notification: Notification) -> None:
        attempt = notification.attempts
        while True:
            settings = next((r for r in self.config.receivers
                             if r.name == notification.receiver), None)
            receiver = self.receivers.get(notification.receiver)
            rendered = render(notification, self.config.console_url)
            if settings is None or receiver is None:
                await self._report(Attempt(notification, False, "receiver no longer in the "
                                           "routing file", True, 0, rendered.title))
                return
            attempt += 1
            started = time.monotonic()
            ok, error, retriable = await self._try(receiver, notification, rendered,
                                                   settings.timeout.total_seconds())
            latency = int((time.monotonic() - started) * 1000)
            final = ok or not retriable or attempt > settings.retries
            await self._report(Attempt(notification, ok, error, final, latency, rendered.title))
            if final:
                if not ok:
                    log.error("notification %s to %s failed after %d attempts: %s",
                              notification.notification_id, notification.receiver, attempt,
                              error)
                return
            wait = min(settings.backoff.total_seconds() * 2 ** (attempt - 1),
                       settings.max_backoff.total_seconds())
            log.warning("notification %s to %s: attempt %d failed (%s); again in %.1f s",
                        notification.notification_id, notification.receiver, attempt, error,
                        wait)
            await self.sleep(wait)

    async def _report(self, attempt: Attempt) -> None:
        recorded = asyncio.get_running_loop().create_future()
        self.report(Attempt(**{**{f: getattr(attempt, f) for f in attempt.__slots__},
                               "recorded": recorded}))
        await recorded

    async def _try(self, receiver, notification: Notification, rendered: Rendered,
                   timeout: float) -> tuple[bool, str, bool]:
        try:
            await asyncio.wait_for(receiver.send(notification, rendered), timeout + 1)
        except DeliveryError as exc:
            return False, str(exc)[:500], exc.retriable
        except TimeoutError:
            return False, f"no answer within {timeout:g} s", True
        except Exception as exc:  # a receiver's bug must not stop delivery to the others
            log.exception("receiver %s raised", notification.receiver)
            return False, f"{type(exc).__name__}", True
        return True, "", False
