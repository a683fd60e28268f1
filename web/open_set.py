"""The open warnings in memory, their actions, and the numbered change feed for SSE.

Every visible change (a warning appears, changes, or leaves the open set) gets the next
sequence number and is kept in a ring, so a client that reconnects with Last-Event-ID
receives exactly what it missed; a client whose id is outside the ring resyncs. Numbers
start at the process's start time in microseconds, so ids of an earlier process are
always below the ring and force a resync. A warning whose unit changes is removed from the
old unit's feed and appears in the new one's.

Items carry a `kind` ("warning"; other record kinds with the same loop can join) and the
rule's kind ("system" warnings are about casewatch itself, not a unit's conduct).

Actions are numbered per warning (`step`: how many accepted actions it follows). In topic
order, an action is accepted only if its step is the next one, so when two servers accept
the same step concurrently, every reader keeps the first on the topic and ignores the
other; a server learns the fate of its own action from `outcome(action_id)`.
"""

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from schemas.warning import Warning
from schemas.warning_action import WarningAction
from web.loop import loop_closed, stage

# The fields of a warning the list shows (an Item is a warning's latest state).
ITEM_FIELDS = ("warning_id", "rule_id", "level", "status", "case_id", "person_id", "unit_id",
               "due_at", "changed_at", "message_zh", "message_en", "evidence", "late",
               "rule_kind")


@dataclass(frozen=True)
class Item:
    warning_id: str
    rule_id: str
    level: str
    status: str
    case_id: str
    person_id: str | None
    unit_id: str
    due_at: str | None  # RFC 3339 with offset
    changed_at: str
    message_zh: str
    message_en: str
    evidence: tuple[str, ...]
    late: bool | None = None
    rule_kind: str = "statutory"  # statutory | policy | system
    kind: str = "warning"  # the record kind: warnings now; other kinds may join

    @classmethod
    def from_warning(cls, w: Warning) -> "Item":
        data = json.loads(w.model_dump_json(include=set(ITEM_FIELDS)))
        data["evidence"] = tuple(data["evidence"])
        return cls(**data)


def frame(seq: int, data: str) -> bytes:
    """One server-sent event: built once per change, written to every stream it reaches."""
    return f"id: {seq}\ndata: {data}\n\n".encode()


class Scoped(Protocol):
    def covers(self, unit_id: str) -> bool: ...


def _sees(scope: Scoped | None, unit_id: str) -> bool:
    return scope is None or scope.covers(unit_id)


@dataclass(eq=False)
class Subscriber:
    scope: Scoped | None  # units seen; None = all
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    warning_id: str | None = None  # only this warning's changes
    session_id: str | None = None
    overflowed: bool = False

    def sees(self, unit_id: str, warning_id: str) -> bool:
        return (self.warning_id is None or warning_id == self.warning_id) and _sees(
            self.scope, unit_id)


class OpenSet:
    def __init__(self, ring_size: int = 20000):
        self.items: dict[str, Item] = {}  # open warnings (loop not closed)
        self.actions: dict[str, list[WarningAction]] = {}
        self._action_ids: set[str] = set()
        self._outcomes: dict[str, asyncio.Future] = {}
        self.seq = time.time_ns() // 1000
        # seq, unit, warning id, json
        self.ring: deque[tuple[int, str, str, str]] = deque(maxlen=ring_size)
        self.subscribers: set[Subscriber] = set()

    # ---------------------------------------------------------------- inputs

    def clear(self) -> None:
        """Forget the warnings and actions (a start-up load begins again)."""
        self.items.clear()
        self.actions.clear()
        self._action_ids.clear()

    def apply_warning(self, item: Item) -> None:
        """A warning's latest state (from the warnings topic or the ClickHouse snapshot)."""
        self._update(item, changed=self.items.get(item.warning_id) != item)

    def _update(self, item: Item, changed: bool) -> None:
        wid = item.warning_id
        before = self.items.get(wid)
        if loop_closed(item.level, item.status, self.stage_of(wid)):
            if self.items.pop(wid, None) is not None:
                self._emit(before.unit_id, wid, {"op": "remove", "id": wid})
            return
        if not changed:
            return
        if before is not None and before.unit_id != item.unit_id:
            self._emit(before.unit_id, wid, {"op": "remove", "id": wid})
        self.items[wid] = item
        self._emit(item.unit_id, wid, {"op": "upsert", "w": self.view(item)})

    def apply_action(self, action: WarningAction) -> bool:
        """Record an action once (by action_id), if its step is the warning's next; False if
        it was already known or came too late (another action took its step)."""
        if action.action_id in self._action_ids:
            return False
        self._action_ids.add(action.action_id)
        done = self.actions.setdefault(action.warning_id, [])
        accepted = action.step is None or action.step == len(done)
        if accepted:
            done.append(action)
            item = self.items.get(action.warning_id)
            if item is not None:
                self._update(item, changed=True)
        waiter = self._outcomes.pop(action.action_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(accepted)
        return accepted

    def outcome(self, action_id: str) -> asyncio.Future:
        """Resolves to whether the action was accepted once it is read from the topic."""
        waiter = asyncio.get_running_loop().create_future()
        self._outcomes[action_id] = waiter
        return waiter

    def forget_outcome(self, action_id: str) -> None:
        self._outcomes.pop(action_id, None)

    def step_of(self, warning_id: str) -> int:
        """The step the warning's next action takes."""
        return len(self.actions.get(warning_id, ()))

    # ---------------------------------------------------------------- reads

    def stage_of(self, warning_id: str) -> str:
        return stage(self.actions.get(warning_id, ()))

    def view(self, item: Item) -> dict:
        return {
            "id": item.warning_id, "rule": item.rule_id, "level": item.level,
            "status": item.status, "case": item.case_id, "person": item.person_id,
            "unit": item.unit_id, "due": item.due_at, "changed": item.changed_at,
            "zh": item.message_zh, "en": item.message_en,
            "stage": self.stage_of(item.warning_id), "kind": item.kind,
            "rule_kind": item.rule_kind,
        }

    def in_scope(self, scope: Scoped | None) -> list[Item]:
        return [i for i in self.items.values() if _sees(scope, i.unit_id)]

    def snapshot(self, scope: Scoped | None) -> tuple[int, list[dict]]:
        """The sequence number it is current at, and the open warnings in scope."""
        return self.seq, [self.view(i) for i in self.in_scope(scope)]

    def since(self, last: int, scope: Scoped | None,
              warning_id: str | None = None) -> list[tuple[int, str]] | None:
        """Events after `last` in scope, or None if `last` is not in this ring (resync)."""
        first = self.ring[0][0] if self.ring else self.seq + 1
        if last > self.seq or last < first - 1:
            return None
        return [(seq, data) for seq, unit, wid, data in self.ring
                if seq > last and (warning_id is None or wid == warning_id)
                and _sees(scope, unit)]

    # ---------------------------------------------------------------- feed

    def subscribe(self, scope: Scoped | None, queue_size: int = 1000,
                  warning_id: str | None = None, session_id: str | None = None) -> Subscriber:
        sub = Subscriber(scope, asyncio.Queue(maxsize=queue_size), warning_id, session_id)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def _emit(self, unit_id: str, warning_id: str, event: dict) -> None:
        self.seq += 1
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        self.ring.append((self.seq, unit_id, warning_id, data))
        encoded = None
        for sub in self.subscribers:
            if sub.overflowed or not sub.sees(unit_id, warning_id):
                continue
            encoded = encoded or frame(self.seq, data)
            try:
                sub.queue.put_nowait((self.seq, encoded))
            except asyncio.QueueFull:
                sub.overflowed = True  # its stream ends; the client resumes by Last-Event-ID
                sub.queue = asyncio.Queue(maxsize=1)  # free what it held
