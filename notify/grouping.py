"""Aggregation groups: one message per target and group key per `group_wait` (the first)
and `group_interval` (the next ones), as Alertmanager does.

A group holds the keys of subjects with news for its target; which news, and whether it
is held back (silenced, inhibited), is decided when the group is flushed.
"""

from dataclasses import dataclass, field
from datetime import datetime

from notify.routing import Target


@dataclass
class Group:
    target: Target
    labels: dict[str, str]
    pending: set[str] = field(default_factory=set)
    first_at: datetime | None = None  # when the oldest pending key came
    last_flush: datetime | None = None

    def due_at(self) -> datetime | None:
        if not self.pending:
            return None
        at = self.first_at + self.target.grouping.group_wait
        if self.last_flush is not None:
            at = max(at, self.last_flush + self.target.grouping.group_interval)
        return at


def group_key(target: Target, labels: dict[str, str]) -> tuple:
    return (target.key.rsplit("/", 1)[0], target.receiver,
            tuple(labels.get(name, "") for name in target.grouping.group_by))


class Groups:
    def __init__(self):
        self.groups: dict[tuple, Group] = {}

    def add(self, target: Target, labels: dict[str, str], subject: str, now: datetime) -> None:
        key = group_key(target, labels)
        group = self.groups.get(key)
        if group is None:
            values = {n: labels.get(n, "") for n in target.grouping.group_by}
            group = self.groups[key] = Group(target, values)
        group.target = target  # the latest file's grouping
        if not group.pending:
            group.first_at = now
        group.pending.add(subject)

    def due(self, now: datetime) -> list[Group]:
        due = [g for g in self.groups.values() if (at := g.due_at()) is not None and at <= now]
        due.sort(key=lambda g: g.due_at())
        return due

    def next_at(self) -> datetime | None:
        return min((at for g in self.groups.values() if (at := g.due_at()) is not None),
                   default=None)

    def pending(self) -> int:
        return sum(len(g.pending) for g in self.groups.values())

    def prune(self, now: datetime) -> None:
        """Forget idle groups whose interval has passed (a new item waits group_wait)."""
        for key in [k for k, g in self.groups.items() if not g.pending and (
                g.last_flush is None
                or g.last_flush + g.target.grouping.group_interval <= now)]:
            del self.groups[key]

    def clear(self) -> None:
        self.groups.clear()
