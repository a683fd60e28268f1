"""Taking an action in the loop, for an item of any kind (web/api.py: warnings,
web/problem_api.py: problems), by the step protocol (docs/web.md, "Closed loop").

One action at a time per item on this server: the stage is checked, the action is built
with its step (the number of accepted actions before it) and sent to the item's actions
topic (at most `action_send_timeout_seconds`, else 503), and the answer waits until the
server reads its own action back: 201 if it took its step, 409 `taken` if another action
(of this or another server) took it first, 202 `not_confirmed` if it is not back within
CONFIRM_SECONDS. Nothing is applied before it is read back, so every server keeps the
same, first, action of each step.
"""

import asyncio
import json
import logging
from collections.abc import Callable

from aiohttp import web
from pydantic import ValidationError

from schemas.warning_action import Action
from web.context import Context
from web.errors import error
from web.loop import NotAllowed, check
from web.open_set import Key, LoopAction

log = logging.getLogger(__name__)
CONFIRM_SECONDS = 5.0  # how long an action waits to read itself back from the topic
#: the answer for an item whose loop has closed, by kind
CLOSED = {"warning": "loop_closed", "problem": "problem_closed"}


class Acting:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._locks: dict[Key, asyncio.Lock] = {}

    async def act(self, user, key: Key, action: Action, topic: str, partition_key: str,
                  build: Callable[[int], LoopAction]) -> web.Response:
        """Take `action` on the open item `key`: `build(step)` makes its record (raising
        ValidationError when its note is missing), sent to `topic` under `partition_key`."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                return await self._act(user, key, action, topic, partition_key, build)
        finally:
            if not lock.locked() and self._locks.get(key) is lock:
                del self._locks[key]

    async def _act(self, user, key: Key, action: Action, topic: str, partition_key: str,
                   build: Callable[[int], LoopAction]) -> web.Response:
        open_set = self.ctx.open_set
        if key not in open_set.items:
            raise error(web.HTTPConflict, CLOSED[key[0]])
        try:
            check(action, user.role, open_set.stage_of(key))
            record = build(open_set.step_of(key))
        except NotAllowed:
            raise error(web.HTTPConflict, "not_allowed") from None
        except ValidationError:
            raise error(web.HTTPBadRequest, "note_required") from None
        outcome = open_set.outcome(record.action_id)
        try:
            await asyncio.wait_for(self.ctx.producer.send_and_wait(
                topic, key=partition_key.encode(), value=record.model_dump_json().encode()),
                self.ctx.web_settings.action_send_timeout_seconds)
        except Exception as exc:  # noqa: BLE001  Kafka down or slow: nothing was recorded
            open_set.forget_outcome(record.action_id)
            log.warning("action %s on %s %s not sent: %r", action, *key, exc)
            raise error(web.HTTPServiceUnavailable, "kafka_unavailable") from None
        try:
            accepted = await asyncio.wait_for(outcome, CONFIRM_SECONDS)
        except TimeoutError:
            open_set.forget_outcome(record.action_id)
            return web.json_response({"action": json.loads(record.model_dump_json()),
                                      "pending": True, "code": "not_confirmed"}, status=202)
        if not accepted:
            raise error(web.HTTPConflict, "taken")
        log.info("action %s on %s %s by %s (%s)", action, *key, user.id, user.role)
        return web.json_response({"action": json.loads(record.model_dump_json()),
                                  "stage": open_set.stage_of(key)}, status=201)
