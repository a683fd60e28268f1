"""The notifier's state machine, pure: items, loop stages, silences and the clock in;
notifications and the state records that must be persisted out.

Everything a restart needs is in the state records (`changes()`), keyed:

- `s/<source>/<id>` a subject: its current item and, per target, what it was last told;
- `k/<warning_id>` a warning's loop stage (from the actions topic) and the steps taken,
  `"<stage> <steps>"` (a plain `"<stage>"`, written before steps were kept, is read too);
- `x/<silence_id>` a silence;
- `b/<bulletin_id>` a daily bulletin whose notifications were decided (its day as value):
  the same bulletin again is not delivered again (forgotten after `BULLETIN_KEPT`, and a
  bulletin older than that is not delivered at all);
- `n/<notification_id>` a notification decided and not yet delivered (removed once it
  is; kept with status `failed` when its retries are exhausted).

What is still to be sent is never stored: it is what a subject's current state and the
targets it reaches differ by, so it is worked out again after a restart. A notification
is persisted in the same write as the marks of what it tells (the service writes both in
one Kafka transaction with the input offsets), and delivered only after that write: a
crash before it decides again, a crash after it delivers the stored notification.
"""

import heapq
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel

from notify.alert import LEVEL_RANK, Alert
from notify.bulletins import bulletin_notifications
from notify.config import Config
from notify.dedup import change
from notify.escalation import firings
from notify.grouping import Group, Groups
from notify.inhibition import Inhibitor
from notify.notification import Change, Item, Notification
from notify.routing import Target, route_targets, target_of_key
from notify.silences import silenced
from schemas.bulletin import BulletinRecord
from schemas.silence import Silence

CHANGE_ORDER = {"step": 0, "escalated": 1, "new": 2, "notice": 2, "changed": 3, "resolved": 4}
SILENCE_KEPT = timedelta(days=1)  # an ended silence is forgotten (the audit keeps it)
BULLETIN_KEPT = timedelta(days=92)  # how long a bulletin sent is remembered


class Subject(BaseModel):
    alert: Alert
    sent: dict[str, str] = {}  # target key -> "level/status" (routes) or occasion (steps)


@dataclass(frozen=True, slots=True)
class News:
    change: Change
    value: str  # what the target will have been told


class Notifier:
    def __init__(self, config: Config, new_id: Callable[[], str] = lambda: uuid.uuid4().hex):
        self.config = config
        self.subjects: dict[str, Subject] = {}
        self.stages: dict[str, str] = {}
        self.taken: dict[str, int] = {}  # stage key -> steps taken (accepted actions)
        self.silences: dict[str, Silence] = {}
        self.bulletins: dict[str, date] = {}  # bulletin_id -> its day: decided already
        self.outbox: dict[str, Notification] = {}
        self.groups = Groups()
        self.inhibitor = Inhibitor(config.inhibit)
        self.unresolved: Counter[str] = Counter()  # receiver references that led nowhere
        self._timers: list[tuple[datetime, str]] = []
        self._timer_at: dict[str, datetime] = {}
        self._dirty: dict[str, bytes | None] = {}
        self._new_id = new_id

    # ------------------------------------------------------------------ inputs

    def apply(self, alert: Alert, now: datetime) -> None:
        """A subject's current state (a repeat of a known state changes nothing)."""
        key = alert.key
        if self._verified_problem(alert):  # its loop closed before (or since) its record
            alert = alert.model_copy(update={"status": "resolved"})
        subject = self.subjects.get(key)
        if subject is not None and subject.alert == alert:
            return
        if subject is None:
            if not alert.is_open:
                return  # closed before anyone was told: nothing to say
            subject = self.subjects[key] = Subject(alert=alert)
        else:
            subject.alert = alert
        self._save(key)
        self._evaluate(key, now)

    def apply_stage(self, warning_id: str, stage: str, now: datetime,
                    kind: str = "warning", step: int | None = None) -> None:
        """A warning's loop stage after an action (acknowledged, rectified, ...); with
        kind="problem", a problem's (`warning_id` is then its problem_id): the same loop,
        and a verified problem is resolved — nothing else closes it.

        `step` is the action's (schemas/warning_action.py): of the actions taking one step
        the first read counts, as for the console (web/open_set.py); a later one lost the
        race and changes nothing. An action without a step (written before steps existed)
        counts."""
        stage_key = warning_id if kind == "warning" else f"{kind}/{warning_id}"
        taken = self.taken.get(stage_key)
        if step is not None and taken is not None and step < taken:
            return  # another action took this step first: the console refused this one
        if step is not None or taken is not None:
            self.taken[stage_key] = step + 1 if step is not None else taken + 1
        record = stage if stage_key not in self.taken else f"{stage} {self.taken[stage_key]}"
        self._dirty[f"k/{stage_key}"] = record.encode()
        if self.stages.get(stage_key) == stage:
            return
        self.stages[stage_key] = stage
        key = f"{kind}/{warning_id}"
        subject = self.subjects.get(key)
        if subject is None:
            return
        if self._verified_problem(subject.alert) and subject.alert.is_open:
            self.apply(subject.alert, now)  # resolved by apply
        else:
            self._evaluate(key, now)

    def apply_bulletin(self, record: BulletinRecord, now: datetime) -> list[Notification]:
        """A daily bulletin's notifications, decided at once (none if it was before)."""
        if record.bulletin_id in self.bulletins or _too_old(record.day, now):
            return []
        notifications, unresolved = bulletin_notifications(self.config, record, now)
        self.unresolved.update(unresolved)
        self.bulletins[record.bulletin_id] = record.day
        self._dirty[f"b/{record.bulletin_id}"] = record.day.isoformat().encode()
        for notification in notifications:
            self._store(notification)
        return notifications

    def apply_silence(self, silence: Silence) -> None:
        held = self.silences.get(silence.silence_id)
        if held is not None and held.version >= silence.version:
            return
        self.silences[silence.silence_id] = silence
        self._dirty[f"x/{silence.silence_id}"] = silence.model_dump_json().encode()

    def expire_silence(self, silence_id: str, actor_id: str, now: datetime) -> Silence | None:
        held = self.silences.get(silence_id)
        if held is None or held.ends_at <= now:
            return None
        ended = held.model_copy(update={"ends_at": max(now, held.starts_at + timedelta(
            seconds=1)), "expired_by": actor_id, "version": held.version + 1})
        self.apply_silence(ended)
        return ended

    def retry(self, notification_id: str) -> Notification | None:
        """A failed notification back to pending (the console's retry)."""
        held = self.outbox.get(notification_id)
        if held is None or held.status != "failed":
            return None
        again = held.model_copy(update={"status": "pending"})
        self._store(again)
        return again

    def set_config(self, config: Config, now: datetime) -> None:
        """A new routing file: groups and timers are worked out again from the subjects."""
        self.config = config
        self.inhibitor = Inhibitor(config.inhibit)
        self.groups.clear()
        self._timers, self._timer_at = [], {}
        self.reevaluate(now)

    def reevaluate(self, now: datetime) -> None:
        for key, subject in self.subjects.items():
            alert = subject.alert
            self.inhibitor.update(key, alert.labels(self._stage(alert)) if alert.is_open
                                  else None)
        for key in list(self.subjects):
            self._evaluate(key, now)

    # ------------------------------------------------------------------ delivery results

    def result(self, notification_id: str, ok: bool, error: str, final: bool
               ) -> Notification | None:
        """One attempt's outcome; returns the notification as it now stands (its attempts
        counted), or None if it is no longer held (a stale report)."""
        held = self.outbox.get(notification_id)
        if held is None:
            return None
        update = {"attempts": held.attempts + 1, "last_error": "" if ok else error}
        if not ok and final:
            update["status"] = "failed"
        now_held = held.model_copy(update=update)
        if ok:
            del self.outbox[notification_id]
            self._dirty[f"n/{notification_id}"] = None
        else:
            self._store(now_held)
        return now_held

    # ------------------------------------------------------------------ the clock

    def tick(self, now: datetime) -> list[Notification]:
        """Fire the escalation steps due and flush the groups due; the new notifications."""
        while self._timers and self._timers[0][0] <= now:
            at, key = heapq.heappop(self._timers)
            if self._timer_at.get(key) == at:
                del self._timer_at[key]
                if key in self.subjects:
                    self._evaluate(key, now)
        out = [n for group in self.groups.due(now) if (n := self._flush(group, now))]
        self.groups.prune(now)
        for sid in [s for s, v in self.silences.items() if v.ends_at + SILENCE_KEPT < now]:
            del self.silences[sid]
            self._dirty[f"x/{sid}"] = None
        for bid in [b for b, day in self.bulletins.items() if _too_old(day, now)]:
            del self.bulletins[bid]
            self._dirty[f"b/{bid}"] = None
        return out

    def next_at(self) -> datetime | None:
        times = [t for t in (self.groups.next_at(),
                             self._timers[0][0] if self._timers else None) if t is not None]
        return min(times, default=None)

    # ------------------------------------------------------------------ persistence

    def changes(self) -> list[tuple[str, bytes | None]]:
        out, self._dirty = list(self._dirty.items()), {}
        return out

    def restore(self, key: str, value: bytes | None) -> None:
        """One state record read back after a restart (the latest per key wins)."""
        kind, _, rest = key.partition("/")
        if kind == "s":
            if value is None:
                self.subjects.pop(rest, None)
            else:
                self.subjects[rest] = Subject.model_validate_json(value)
        elif kind == "k":
            self.taken.pop(rest, None)
            if value is None:
                self.stages.pop(rest, None)
            else:
                stage, _, taken = value.decode().partition(" ")
                self.stages[rest] = stage
                if taken:
                    self.taken[rest] = int(taken)
        elif kind == "x":
            if value is None:
                self.silences.pop(rest, None)
            else:
                self.silences[rest] = Silence.model_validate_json(value)
        elif kind == "b":
            if value is None:
                self.bulletins.pop(rest, None)
            else:
                self.bulletins[rest] = date.fromisoformat(value.decode())
        elif kind == "n":
            if value is None:
                self.outbox.pop(rest, None)
            else:
                self.outbox[rest] = Notification.model_validate_json(value)
        else:
            raise ValueError(f"unknown state key {key!r}")

    # ------------------------------------------------------------------ internals

    def _stage(self, alert: Alert) -> str:
        if alert.source == "warning":
            return self.stages.get(alert.subject_id, "new")
        if alert.source.startswith("problem/"):
            return self.stages.get(alert.key, "new")  # "problem/<problem_id>"
        return "new"

    def _verified_problem(self, alert: Alert) -> bool:
        return alert.source.startswith("problem/") and self.stages.get(alert.key) == "verified"

    def _save(self, key: str) -> None:
        self._dirty[f"s/{key}"] = self.subjects[key].model_dump_json().encode()

    def _store(self, notification: Notification) -> None:
        self.outbox[notification.notification_id] = notification
        self._dirty[f"n/{notification.notification_id}"] = (
            notification.model_dump_json().encode())

    def _routes(self, subject: Subject, labels: dict[str, str]) -> list[Target]:
        alert = subject.alert
        if alert.is_open:
            targets, unresolved = route_targets(self.config, labels)
            self.unresolved.update(unresolved)
            return targets
        # a resolution goes where the open state went
        return [t for k, last in subject.sent.items()
                if k.startswith("r/") and last.endswith("/open")
                and (t := target_of_key(self.config, k)) is not None]

    def _news(self, subject: Subject, target: Target, labels: dict[str, str],
              now: datetime) -> News | None:
        """What `target` is still to be told about the subject now, if anything."""
        alert = subject.alert
        last = subject.sent.get(target.key)
        if target.key.startswith("r/"):
            if target.key not in {t.key for t in self._routes(subject, labels)}:
                return None  # the item left the route (e.g. approaching became overdue)
            c = change(last, alert)
            if c is None:
                return None
            return News("notice" if alert.source == "lawyer_notice" and c == "new" else c,
                        alert.state())
        for firing in firings(self.config, alert, self._stage(alert))[0]:
            if firing.target.key == target.key:
                if firing.fires_at <= now and last != firing.occasion:
                    return News("step", firing.occasion)
                return None
        return None

    def _evaluate(self, key: str, now: datetime) -> None:
        subject = self.subjects[key]
        alert = subject.alert
        stage = self._stage(alert)
        labels = alert.labels(stage)
        self.inhibitor.update(key, labels if alert.is_open else None)
        for target in self._routes(subject, labels):
            if change(subject.sent.get(target.key), alert) is not None:
                self.groups.add(target, labels, key, now)
        steps, unresolved = firings(self.config, alert, stage)
        self.unresolved.update(unresolved)
        later = None
        for firing in steps:
            if subject.sent.get(firing.target.key) == firing.occasion:
                continue
            if firing.fires_at <= now:
                self.groups.add(firing.target, labels, key, now)
            elif later is None or firing.fires_at < later:
                later = firing.fires_at
        if later is not None and self._timer_at.get(key) != later:
            self._timer_at[key] = later
            heapq.heappush(self._timers, (later, key))
        self._forget_if_done(key)

    def _forget_if_done(self, key: str) -> None:
        """A closed subject whose every target has been told so is forgotten."""
        subject = self.subjects[key]
        if subject.alert.is_open or any(
                k.startswith("r/") and v.endswith("/open") for k, v in subject.sent.items()):
            return
        del self.subjects[key]
        self.inhibitor.update(key, None)
        self._dirty[f"s/{key}"] = None

    def _flush(self, group: Group, now: datetime) -> Notification | None:
        target = group.target
        news, held = [], set()
        silences = list(self.silences.values())
        for key in sorted(group.pending):
            subject = self.subjects.get(key)
            if subject is None:
                continue
            labels = subject.alert.labels(self._stage(subject.alert))
            found = self._news(subject, target, labels, now)
            if found is None:
                continue
            if silenced(silences, labels, now) or self.inhibitor.inhibited(key, labels):
                held.add(key)
                continue
            news.append((subject, found))
        group.pending = held
        group.first_at = now if held else None
        if not news and not held:
            return None
        group.last_flush = now
        if not news:
            return None
        news.sort(key=lambda sn: (CHANGE_ORDER[sn[1].change],
                                  -LEVEL_RANK.get(sn[0].alert.level, 0),
                                  sn[0].alert.due_at or sn[0].alert.changed_at, sn[0].alert.key))
        shown = news[: target.grouping.max_items]
        notification = Notification(
            notification_id=self._new_id(), reason=target.reason, receiver=target.receiver,
            receiver_kind=self.config.receiver(target.receiver).kind, group=group.labels,
            created_at=now, items=[_item(s.alert, n.change) for s, n in shown],
            more=len(news) - len(shown))
        self._store(notification)
        for subject, found in news:
            subject.sent[target.key] = found.value
            key = subject.alert.key
            self._save(key)
            self._forget_if_done(key)
        return notification


def _too_old(day: date, now: datetime) -> bool:
    return day < (now - BULLETIN_KEPT).date()


def _item(alert: Alert, what: Change) -> Item:
    return Item(key=alert.key, change=what, level=alert.level, status=alert.status,
                unit_id=alert.unit_id, rule_id=alert.rule_id, case_id=alert.case_id,
                person_id=alert.person_id, due_at=alert.due_at, message_zh=alert.message_zh,
                message_en=alert.message_en, link=alert.link, extra=alert.extra)
