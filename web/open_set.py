"""The open warnings in memory, their actions, and the numbered change feed for SSE.

Every visible change (a warning appears, changes, or leaves the open set) gets the next
sequence number and is kept in a ring, so a client that reconnects with Last-Event-ID
receives exactly what it missed; a client whose id is outside the ring resyncs. Numbers
start at the process's start time in microseconds, so ids of an earlier process are
always below the ring and force a resync.
"""

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field

from schemas.warning import Warning
from schemas.warning_action import WarningAction
from web.loop import loop_closed, stage

# The fields of a warning the list shows (an Item is a warning's latest state).
ITEM_FIELDS = ("warning_id", "rule_id", "level", "status", "case_id", "person_id", "unit_id",
               "due_at", "changed_at", "message_zh", "message_en", "evidence", "late")


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

    @classmethod
    def from_warning(cls, w: Warning) -> "Item":
        data = json.loads(w.model_dump_json(include=set(ITEM_FIELDS)))
        data["evidence"] = tuple(data["evidence"])
        return cls(**data)


@dataclass(eq=False)
class Subscriber:
    scope: frozenset[str] | None  # units seen; None = all
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=50000))
    overflowed: bool = False

    def sees(self, unit_id: str) -> bool:
        return self.scope is None or unit_id in self.scope


class OpenSet:
    def __init__(self, ring_size: int = 20000):
        self.items: dict[str, Item] = {}  # open warnings (loop not closed)
        self.actions: dict[str, list[WarningAction]] = {}
        self._action_ids: set[str] = set()
        self.seq = time.time_ns() // 1000
        self.ring: deque[tuple[int, str, str]] = deque(maxlen=ring_size)  # seq, unit, json
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
        if loop_closed(item.level, item.status, self.stage_of(item.warning_id)):
            if self.items.pop(item.warning_id, None) is not None:
                self._emit(item.unit_id, {"op": "remove", "id": item.warning_id})
            return
        if not changed:
            return
        self.items[item.warning_id] = item
        self._emit(item.unit_id, {"op": "upsert", "w": self.view(item)})

    def apply_action(self, action: WarningAction) -> bool:
        """Record an action once (by action_id); False if it was already known."""
        if action.action_id in self._action_ids:
            return False
        self._action_ids.add(action.action_id)
        self.actions.setdefault(action.warning_id, []).append(action)
        item = self.items.get(action.warning_id)
        if item is not None:
            self._update(item, changed=True)
        return True

    # ---------------------------------------------------------------- reads

    def stage_of(self, warning_id: str) -> str:
        return stage(self.actions.get(warning_id, ()))

    def view(self, item: Item) -> dict:
        return {
            "id": item.warning_id, "rule": item.rule_id, "level": item.level,
            "status": item.status, "case": item.case_id, "person": item.person_id,
            "unit": item.unit_id, "due": item.due_at, "changed": item.changed_at,
            "zh": item.message_zh, "en": item.message_en,
            "stage": self.stage_of(item.warning_id),
        }

    def snapshot(self, scope: frozenset[str] | None) -> tuple[int, list[dict]]:
        """The sequence number it is current at, and the open warnings in scope."""
        return self.seq, [self.view(i) for i in self.items.values()
                          if scope is None or i.unit_id in scope]

    def since(self, last: int, scope: frozenset[str] | None) -> list[tuple[int, str]] | None:
        """Events after `last` in scope, or None if `last` is not in this ring (resync)."""
        first = self.ring[0][0] if self.ring else self.seq + 1
        if last > self.seq or last < first - 1:
            return None
        return [(seq, data) for seq, unit, data in self.ring
                if seq > last and (scope is None or unit in scope)]

    # ---------------------------------------------------------------- feed

    def subscribe(self, scope: frozenset[str] | None) -> Subscriber:
        sub = Subscriber(scope)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def _emit(self, unit_id: str, event: dict) -> None:
        self.seq += 1
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        self.ring.append((self.seq, unit_id, data))
        for sub in self.subscribers:
            if sub.overflowed or not sub.sees(unit_id):
                continue
            try:
                sub.queue.put_nowait((self.seq, data))
            except asyncio.QueueFull:
                sub.overflowed = True  # its stream ends; the client resumes by Last-Event-ID
