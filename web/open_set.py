"""The work queue in memory: the open items of every kind (warnings, problems), the
actions of the loop, and the numbered change feed for SSE.

Every visible change (an item appears, changes, or leaves the open set) gets the next
sequence number and is kept in a ring, so a client that reconnects with Last-Event-ID
receives exactly what it missed; a client whose id is outside the ring resyncs. Numbers
start at the process's start time in microseconds, so ids of an earlier process are
always below the ring and force a resync. An item whose unit changes is removed from the
old unit's feed and appears in the new one's.

Items are keyed by (kind, id): a warning's id and a problem's are chosen apart (a warning's
derived from its case, a problem's by whoever entered it) and may coincide. Each carries
its kind ("warning", "problem"), its source ("platform" for the rules' warnings, the
inspection's for a problem) and the rule's kind ("system" warnings are about casewatch
itself, not a unit's conduct).

Actions are numbered per item (`step`: how many accepted actions it follows). In topic
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

from schemas.problem_action import ProblemAction
from schemas.warning import Warning
from schemas.warning_action import WarningAction
from web.loop import loop_closed, stage

WARNING, PROBLEM = "warning", "problem"
Key = tuple[str, str]  # (kind, id)
LoopAction = WarningAction | ProblemAction

# The fields of a warning the list shows (a warning's Item is its latest state).
ITEM_FIELDS = ("warning_id", "rule_id", "level", "status", "case_id", "person_id", "unit_id",
               "due_at", "changed_at", "message_zh", "message_en", "evidence", "late",
               "rule_kind")


@dataclass(frozen=True)
class Item:
    id: str  # the warning's or the problem's id
    rule_id: str  # a warning's rule; a problem's type (rules/problems.toml)
    level: str  # system | violation | overdue | approaching; "problem" for a problem
    status: str  # a warning's (open | resolved | withdrawn); a problem is open
    case_id: str  # "" for a problem of no case
    person_id: str | None
    unit_id: str
    due_at: str | None  # RFC 3339 with offset; a problem's: rectify by (rules/scoring.toml)
    changed_at: str  # a problem's: found at
    message_zh: str
    message_en: str
    evidence: tuple[str, ...]
    late: bool | None = None
    rule_kind: str = "statutory"  # statutory | policy | system; "problem" for a problem
    kind: str = WARNING  # the record kind: warning | problem
    source: str = "platform"  # schemas/problem.py ProblemSource: the rules' own, or an inspection
    title_zh: str = ""  # a problem type's title (the pages have the rules' titles)
    title_en: str = ""

    @property
    def key(self) -> Key:
        return (self.kind, self.id)

    @classmethod
    def from_warning(cls, w: Warning) -> "Item":
        data = json.loads(w.model_dump_json(include=set(ITEM_FIELDS)))
        data["id"] = data.pop("warning_id")
        data["evidence"] = tuple(data["evidence"])
        return cls(**data)


def action_key(action: LoopAction) -> Key:
    if isinstance(action, ProblemAction):
        return (PROBLEM, action.problem_id)
    return (WARNING, action.warning_id)


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
    subject: Key | None = None  # only this item's changes
    session_id: str | None = None
    overflowed: bool = False

    def sees(self, unit_id: str, key: Key) -> bool:
        return (self.subject is None or key == self.subject) and _sees(self.scope, unit_id)


class OpenSet:
    def __init__(self, ring_size: int = 20000):
        self.items: dict[Key, Item] = {}  # open items (loop not closed)
        self.actions: dict[Key, list[LoopAction]] = {}  # accepted, in topic order
        self._action_ids: set[str] = set()
        self._outcomes: dict[str, asyncio.Future] = {}
        self.seq = time.time_ns() // 1000
        # seq, unit, item key, json
        self.ring: deque[tuple[int, str, Key, str]] = deque(maxlen=ring_size)
        self.subscribers: set[Subscriber] = set()

    # ---------------------------------------------------------------- inputs

    def clear(self, kind: str) -> None:
        """Forget the items and actions of one kind (its start-up load begins again)."""
        for key in [k for k in self.items if k[0] == kind]:
            del self.items[key]
        for key in [k for k in self.actions if k[0] == kind]:
            self._action_ids.difference_update(a.action_id for a in self.actions.pop(key))

    def apply_item(self, item: Item) -> None:
        """An item's latest state: a warning's (from the warnings topic or the ClickHouse
        snapshot) or a problem's record."""
        self._update(item, changed=self.items.get(item.key) != item)

    def _update(self, item: Item, changed: bool) -> None:
        key = item.key
        before = self.items.get(key)
        if loop_closed(item.level, item.status, self.stage_of(key)):
            if self.items.pop(key, None) is not None:
                self._emit(before.unit_id, key, {"op": "remove", "kind": key[0], "id": key[1]})
            return
        if not changed:
            return
        if before is not None and before.unit_id != item.unit_id:
            self._emit(before.unit_id, key, {"op": "remove", "kind": key[0], "id": key[1]})
        self.items[key] = item
        self._emit(item.unit_id, key, {"op": "upsert", "w": self.view(item)})

    def apply_action(self, action: LoopAction) -> bool:
        """Record an action once (by action_id), if its step is its item's next; False if
        it was already known or came too late (another action took its step)."""
        if action.action_id in self._action_ids:
            return False
        self._action_ids.add(action.action_id)
        key = action_key(action)
        done = self.actions.setdefault(key, [])
        accepted = action.step is None or action.step == len(done)
        if accepted:
            done.append(action)
            item = self.items.get(key)
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

    def step_of(self, key: Key) -> int:
        """The step the item's next action takes."""
        return len(self.actions.get(key, ()))

    # ---------------------------------------------------------------- reads

    def stage_of(self, key: Key) -> str:
        return stage(self.actions.get(key, ()))

    def actions_of(self, key: Key) -> list[LoopAction]:
        return list(self.actions.get(key, ()))

    def view(self, item: Item) -> dict:
        out = {
            "id": item.id, "kind": item.kind, "source": item.source, "rule": item.rule_id,
            "level": item.level, "status": item.status, "case": item.case_id,
            "person": item.person_id, "unit": item.unit_id, "due": item.due_at,
            "changed": item.changed_at, "zh": item.message_zh, "en": item.message_en,
            "stage": self.stage_of(item.key), "rule_kind": item.rule_kind,
        }
        if item.kind != WARNING:
            out |= {"title_zh": item.title_zh, "title_en": item.title_en}
        return out

    def in_scope(self, scope: Scoped | None) -> list[Item]:
        return [i for i in self.items.values() if _sees(scope, i.unit_id)]

    def snapshot(self, scope: Scoped | None) -> tuple[int, list[dict]]:
        """The sequence number it is current at, and the open items in scope."""
        return self.seq, [self.view(i) for i in self.in_scope(scope)]

    def since(self, last: int, scope: Scoped | None,
              subject: Key | None = None) -> list[tuple[int, str]] | None:
        """Events after `last` in scope, or None if `last` is not in this ring (resync)."""
        first = self.ring[0][0] if self.ring else self.seq + 1
        if last > self.seq or last < first - 1:
            return None
        return [(seq, data) for seq, unit, key, data in self.ring
                if seq > last and (subject is None or key == subject) and _sees(scope, unit)]

    # ---------------------------------------------------------------- feed

    def subscribe(self, scope: Scoped | None, queue_size: int = 1000,
                  subject: Key | None = None, session_id: str | None = None) -> Subscriber:
        sub = Subscriber(scope, asyncio.Queue(maxsize=queue_size), subject, session_id)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def _emit(self, unit_id: str, key: Key, event: dict) -> None:
        self.seq += 1
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        self.ring.append((self.seq, unit_id, key, data))
        encoded = None
        for sub in self.subscribers:
            if sub.overflowed or not sub.sees(unit_id, key):
                continue
            encoded = encoded or frame(self.seq, data)
            try:
                sub.queue.put_nowait((self.seq, encoded))
            except asyncio.QueueFull:
                sub.overflowed = True  # its stream ends; the client resumes by Last-Event-ID
                sub.queue = asyncio.Queue(maxsize=1)  # free what it held
