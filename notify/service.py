"""`casewatch notify` at run time: Kafka in, receivers out, state in a compacted topic.

- Inputs: the warnings, warning-actions, problem-records, problem-actions, lawyer-notices,
  bulletins and notify-commands topics, in the consumer group `<app_id>-notify`, `read_committed`.
- State: the notifier's records (notify/notifier.py) on `<prefix>notify-state`
  (compacted). At start it is read to its end, then the inputs from the group's offsets.
- One Kafka transaction per round (transactional id `<app_id>-notify`) holds the state
  records the round changed, the delivery attempts it learnt of (to `<prefix>notifications`,
  for ClickHouse), the dead letters of unreadable input, and the input offsets. A
  notification is handed to its receiver only once the transaction that stored it has
  committed, and removed from the state by the transaction after its delivery.

So a restart (even SIGKILL) re-reads only input whose effects were not committed, finds
every undelivered notification in the state, and knows what every target was told:
nothing delivered is decided again. A notification delivered but not yet recorded as
delivered when the process died is sent again, with the same notification id (the
window is one round, ~0.2 s; receivers can deduplicate by the id). If a transaction
fails the process exits (70) without committing, and its supervisor restarts it.
"""

import asyncio
import logging
import os
import re
import time
from datetime import datetime

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from notify import metrics
from notify.config import ConfigError, Loaded, load_config
from notify.delivery import Attempt, Delivery
from notify.delivery_log import attempt_record
from notify.inputs import (
    action_stage,
    notice_alert,
    problem_action_stage,
    problem_alert,
    warning_alert,
)
from notify.notification import Notification
from notify.notifier import Notifier
from notify.receivers.build import build_receivers
from notify.receivers.kafka import ensure_topics as ensure_receiver_topics
from notify.settings import NotifySettings
from rules.clock import Clock, WallClock
from schemas.bulletin import BulletinRecord
from schemas.notify_command import NotifyCommand
from streams import kafka_clients
from streams.dead_letter import dead_letter
from streams.kafka_clients import connection
from streams.settings import Settings
from streams.topics import ensure_topics

log = logging.getLogger("casewatch.notify")
FATAL_EXIT = 70
INPUTS = ("warnings", "warning-actions", "problem-records", "problem-actions",
          "lawyer-notices", "bulletins", "notify-commands")


class Fatal(RuntimeError):
    """The round could not be committed: stop, the supervisor restarts us."""


class NotifyService:
    def __init__(self, settings: Settings, nsettings: NotifySettings, loaded: Loaded,
                 clock: Clock | None = None):
        self.settings, self.nsettings, self.loaded = settings, nsettings, loaded
        self.clock = clock or WallClock()
        self.group = f"{settings.app_id}-notify"
        self.state_topic = settings.topic("notify-state")
        self.log_topic = settings.topic("notifications")
        self.dlq_topic = settings.topic("case-events.dlq")
        self.notifier = Notifier(loaded.config)
        self._attempts: list[Attempt] = []
        self._wake = asyncio.Event()  # a delivery attempt waits to be recorded
        self._fetch: asyncio.Future | None = None  # the consumer's fetch in flight
        self._config_mtime = _mtime(nsettings.config)
        self._looked_at = time.monotonic()  # when the routing file's mtime was last read
        self.ready = asyncio.Event()  # set once the state is restored and inputs are read

    # ------------------------------------------------------------------ main loop

    async def run(self, stopping: asyncio.Event) -> None:
        await asyncio.to_thread(ensure_topics, self.settings)
        await self._receiver_topics(self.loaded)
        producer = AIOKafkaProducer(**connection(self.settings), acks="all",
                                    enable_idempotence=True,
                                    transactional_id=self.group, client_id=self.group)
        out = AIOKafkaProducer(**connection(self.settings), acks="all", enable_idempotence=True,
                               client_id=f"{self.group}-out")  # the Kafka receivers'
        consumer = AIOKafkaConsumer(
            **connection(self.settings), group_id=self.group, client_id=self.group,
            isolation_level="read_committed", enable_auto_commit=False,
            auto_offset_reset="earliest", metadata_max_age_ms=30_000)
        await producer.start()
        await out.start()
        session = aiohttp.ClientSession()
        delivery = None
        try:
            await self._restore()
            self.notifier.reevaluate(self.clock.now())
            receivers = build_receivers(self.loaded, session, out)
            delivery = Delivery(self.loaded.config, receivers, self._report)
            names = "|".join(re.escape(self.settings.topic(t)) for t in INPUTS)
            await consumer.start()
            consumer.subscribe(pattern=f"^({names})$")
            for n in self.notifier.outbox.values():
                if n.status == "pending":
                    delivery.submit(n)
            log.info("notifier ready: %d subjects, %d notifications to deliver, %d silences",
                     len(self.notifier.subjects), len(self.notifier.outbox),
                     len(self.notifier.silences))
            self.ready.set()
            lag = asyncio.create_task(self._report_lag(consumer, stopping))
            try:
                while not stopping.is_set():
                    await self._round(consumer, producer, delivery, session, out)
            finally:
                lag.cancel()
                if self._fetch is not None:
                    self._fetch.cancel()
        finally:
            if delivery is not None:
                await delivery.stop()
            await session.close()
            await consumer.stop()
            await out.stop()
            await producer.stop()

    async def _round(self, consumer, producer, delivery: Delivery, session, out) -> None:
        """Wait for input, a delivery attempt or the next due instant; then apply, decide
        and commit all of it in one transaction."""
        if self._fetch is None:
            self._fetch = asyncio.ensure_future(consumer.getmany(
                timeout_ms=int(self.nsettings.poll_seconds * 1000),
                max_records=self.nsettings.max_records))
        if not self._attempts:
            woken = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({self._fetch, woken}, timeout=self._wait(),
                               return_when=asyncio.FIRST_COMPLETED)
            woken.cancel()
        self._wake.clear()
        fetched = {}
        if self._fetch.done():
            fetched, self._fetch = self._fetch.result(), None
        now = self.clock.now()
        offsets: dict[TopicPartition, int] = {}
        dead: list[tuple[bytes | None, bytes]] = []
        to_submit: list[Notification] = []
        for tp, records in fetched.items():
            for record in records:
                reason = self._apply(tp.topic, record.value, now, to_submit)
                if reason is not None:
                    metrics.BAD_RECORDS.labels(tp.topic).inc()
                    log.error("unreadable record %s[%d]@%d dead-lettered: %s", tp.topic,
                              tp.partition, record.offset, reason)
                    dead.append((record.key, dead_letter(
                        record.value, record.key, [f"notifier cannot read the record: {reason}"],
                        tp.topic, tp.partition, record.offset,
                        self.settings.dead_letter_value_limit)))
                offsets[tp] = record.offset + 1
        logs = []
        attempts, self._attempts = self._attempts, []
        for attempt in attempts:
            held = self.notifier.result(attempt.notification.notification_id, attempt.ok,
                                        attempt.error, attempt.final)
            if held is not None:
                logs.append(attempt_record(held, attempt, now))
        to_submit += self.notifier.tick(now)
        changes = self.notifier.changes()
        if changes or logs or offsets or dead:
            await self._commit(producer, changes, logs, dead, offsets)
        for attempt in attempts:
            if attempt.recorded is not None and not attempt.recorded.done():
                attempt.recorded.set_result(None)
        for notification in to_submit:
            if self.notifier.outbox.get(notification.notification_id) is not None:
                delivery.submit(notification)
        await self._maybe_reload(delivery, session, out, now)
        self._gauges(now)

    def _wait(self) -> float:
        wait = self.nsettings.poll_seconds
        at = self.notifier.next_at()
        if at is not None:
            wait = min(wait, max(0.0, (at - self.clock.now()).total_seconds()))
        return wait

    def _apply(self, topic: str, value: bytes | None, now: datetime,
               to_submit: list[Notification]) -> str | None:
        """Apply one input record; the reason it cannot be read, or None."""
        name = topic[len(self.settings.topic_prefix):]
        try:
            if value is None:
                raise ValueError("a record without a value")
            if name == "warnings":
                self.notifier.apply(warning_alert(value), now)
            elif name == "warning-actions":
                warning_id, stage, step = action_stage(value)
                self.notifier.apply_stage(warning_id, stage, now, step=step)
            elif name == "problem-records":  # accepted by the problems intake
                self.notifier.apply(problem_alert(value), now)
            elif name == "problem-actions":
                problem_id, stage, step = problem_action_stage(value)
                self.notifier.apply_stage(problem_id, stage, now, kind="problem", step=step)
            elif name == "lawyer-notices":
                self.notifier.apply(notice_alert(value), now)
            elif name == "bulletins":  # sent at once: no group to wait for
                to_submit += self.notifier.apply_bulletin(
                    BulletinRecord.model_validate_json(value), now)
            elif name == "notify-commands":
                self._command(NotifyCommand.model_validate_json(value), now, to_submit)
            return None
        except (ValidationError, ValueError, KeyError) as exc:
            return str(exc)[:2000]

    def _command(self, command: NotifyCommand, now: datetime,
                 to_submit: list[Notification]) -> None:
        if command.command == "silence":
            self.notifier.apply_silence(command.silence)
        elif command.command == "expire":
            self.notifier.expire_silence(command.silence_id, command.actor_id, now)
        else:
            again = self.notifier.retry(command.notification_id)
            if again is not None:
                to_submit.append(again)
        log.info("command %s by %s applied", command.command, command.actor_id)

    async def _commit(self, producer, changes, logs, dead, offsets) -> None:
        try:
            async with producer.transaction():
                for key, value in changes:
                    await producer.send(self.state_topic, key=key.encode(), value=value)
                for record in logs:
                    await producer.send(self.log_topic, key=record.notification_id.encode(),
                                        value=record.model_dump_json().encode())
                for key, value in dead:
                    await producer.send(self.dlq_topic, key=key, value=value)
                if offsets:
                    await producer.send_offsets_to_transaction(
                        {tp: off for tp, off in offsets.items()}, self.group)
        except Exception as exc:
            raise Fatal(f"the round's transaction failed: {exc!r}") from exc

    def _report(self, attempt: Attempt) -> None:
        """Called by the delivery tasks after every attempt; recorded by the next round."""
        n = attempt.notification
        kind = n.receiver_kind
        metrics.DELIVERY_SECONDS.labels(kind).observe(attempt.latency_ms / 1000)
        if attempt.ok:
            metrics.SENT.labels(n.receiver, kind).inc()
        else:
            metrics.FAILED.labels(n.receiver, kind).inc()
            if attempt.final:
                metrics.GIVEN_UP.labels(n.receiver, kind).inc()
        self._attempts.append(attempt)
        self._wake.set()

    # ------------------------------------------------------------------ restore, reload

    async def _restore(self) -> None:
        """Read the state topic to its (committed) end."""
        parts = await asyncio.to_thread(_partitions, self.settings, self.state_topic)
        if not parts:
            raise Fatal(f"the state topic {self.state_topic} has no partitions")
        tps = [TopicPartition(self.state_topic, p) for p in sorted(parts)]
        consumer = AIOKafkaConsumer(**connection(self.settings), group_id=None,
                                    isolation_level="read_committed",
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        try:
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            n = 0
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                for _, records in (await consumer.getmany(timeout_ms=500,
                                                          max_records=20000)).items():
                    for record in records:
                        self.notifier.restore(record.key.decode(), record.value)
                        n += 1
            log.info("notifier state restored from %d records", n)
        finally:
            await consumer.stop()

    async def _maybe_reload(self, delivery: Delivery, session, out, now: datetime) -> None:
        if time.monotonic() - self._looked_at < self.nsettings.reload_seconds:
            return
        self._looked_at = time.monotonic()
        mtime = _mtime(self.nsettings.config)
        if mtime == self._config_mtime:
            return
        self._config_mtime = mtime
        try:
            loaded = await asyncio.to_thread(load_config, self.nsettings.config)
        except ConfigError as exc:
            metrics.RELOADS.labels("refused").inc()
            log.error("routing file changed but refused; the previous one stays: %s", exc)
            return
        await self._receiver_topics(loaded)
        self.loaded = loaded
        self.notifier.set_config(loaded.config, now)
        delivery.update(loaded.config, build_receivers(loaded, session, out))
        metrics.RELOADS.labels("ok").inc()
        log.info("routing file reloaded: %r", loaded)

    async def _receiver_topics(self, loaded: Loaded) -> None:
        topics = [r.topic for r in loaded.config.receivers if r.kind == "kafka"]
        if topics:
            await asyncio.to_thread(ensure_receiver_topics, self.settings, topics)

    def _gauges(self, now: datetime) -> None:
        pending = list(self.notifier.outbox.values())
        metrics.PENDING.set(len(pending))
        waiting = [n.age(now) for n in pending if n.status == "pending"]
        metrics.QUEUE_AGE.set(max(waiting, default=0.0))
        metrics.WAITING_ITEMS.set(self.notifier.groups.pending())
        metrics.UNROUTED.set(len(self.notifier.unresolved))

    async def _report_lag(self, consumer: AIOKafkaConsumer, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                tps = list(consumer.assignment())
                if tps:
                    ends = await consumer.end_offsets(tps)
                    for tp in tps:
                        committed = await consumer.committed(tp) or 0
                        metrics.LAG.labels(tp.topic, str(tp.partition)).set(
                            max(0, ends[tp] - committed))
            except Exception as exc:  # Kafka away or a rebalance: measured next time
                log.debug("lag not measured: %s", exc)
            await asyncio.sleep(1.0)


def _partitions(settings: Settings, topic: str) -> set[int]:
    consumer = kafka_clients.consumer(settings, enable_auto_commit=False)
    try:
        return consumer.partitions_for_topic(topic) or set()
    finally:
        consumer.close()


def _mtime(path) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None

