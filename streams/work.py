"""What one partition's source records, dues or quarantined cases turn into: messages to
send, changelog records, dues to index and the source offset to commit. No Kafka I/O: the
runtime commits each partition's result in one transaction (streams/runtime.py).

The methods that do the work are generators that yield after each case, so that the
runtime can hand the event loop back between cases (heartbeats, timers, rebalances).

A case touched several times in a batch is evaluated once: a warning raised and withdrawn
inside one batch may then never be published (its final state is).

One bad case never stops the rest. A rules error on an event dead-letters that event only
(reason `error`): the case's other events of the batch are applied one by one without it.
A case whose stored state cannot be restored, or whose history cannot be evaluated, is
quarantined (streams/quarantine.py): its partition goes on, its new events are kept.

A record read on a partition other than the one its key maps to (a producer with another
partitioner, such as librdkafka's default) is forwarded to that partition, in the same
transaction as its source offset, so that a case has one home.
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from rules.engine import Engine
from rules.system import UNREGISTERED_UNIT, system_warning
from schemas.case_state import Quarantine
from schemas.event import InvalidEvent, parse_event
from schemas.time_window import check_not_ahead
from schemas.units import UnitRegistry
from streams import metrics
from streams.case_cache import CaseCache
from streams.case_items import NOTICE_PREFIX, PENDING_PREFIX, QUARANTINE_ITEM, UNIT_WARNING_PREFIX
from streams.case_logic import Arrival, CaseLogic, Outcome
from streams.case_store import PartitionStore, item_key
from streams.dead_letter import dead_letter
from streams.lawyer_notices import NoticeFinder
from streams.quarantine import (
    pending_item,
    pending_offset,
    quarantine,
    released,
)
from streams.rulesets import (
    PARTITION_CASE,
    RULESET_ITEM,
    SWEEP_ITEM,
    RulesetBook,
    control_kind,
    marker_reasons,
    parse_cursor,
    parse_marker,
)
from streams.settings import Settings

log = logging.getLogger(__name__)

#: The largest message the worker produces (every topic accepts 1 MiB and more), and the
#: size a case's rows are cut to.
MESSAGE_LIMIT = 1_000_000
ROWS_LIMIT = 512 * 1024
SWEEP_STEP = 200  # cases re-timed per job of a sweep
OPEN, RESOLVED = b"open", b"resolved"  # a system warning 未登记单位 shown about a case


class OutputTooLarge(ValueError):
    """A case's output does not fit in one message: handled like a processing error."""


@dataclass(slots=True)
class Send:
    topic: str
    key: bytes | None
    value: bytes | None
    partition: int | None = None


@dataclass(slots=True)
class Job:
    """A unit of work for the agent: source records, dues as (partition, case_id), or the
    partitions whose quarantined cases are to be tried again."""

    records: list = field(default_factory=list)  # aiokafka ConsumerRecords
    positions: dict[int, int] = field(default_factory=dict)  # source position after them
    dues: list[tuple[int, str]] = field(default_factory=list)
    replay: list[int] = field(default_factory=list)
    sweep: list[int] = field(default_factory=list)  # partitions re-timed under new rules
    done: object = None  # an asyncio.Future, set by the submitter


@dataclass(slots=True)
class Result:
    """One partition's share of a job: committed together, or not at all."""

    partition: int
    sends: list[Send] = field(default_factory=list)
    changelog: list[tuple[bytes, bytes | None]] = field(default_factory=list)
    dues: list[tuple[str, float | None]] = field(default_factory=list)
    offset: int | None = None  # the next source offset to read, once this is committed
    sweep: str | None = None  # "running" when a sweep started or goes on, "done" when over

    def extend(self, other: "Result") -> None:
        self.sends += other.sends
        self.changelog += other.changelog
        self.dues += other.dues


class Processor:
    def __init__(self, settings: Settings, engine: Engine, cache: CaseCache,
                 stores: dict[int, PartitionStore],
                 home: Callable[[bytes], int] | None = None,
                 units: Callable[[], UnitRegistry] | None = None,
                 notices: NoticeFinder | None = None,
                 book: RulesetBook | None = None):
        self.settings = settings
        self.book = book  # the published rule sets; None: the rules never change
        self.units = units  # the unit registry in force; None: units are not checked
        self.notices = notices  # key-node notices to defence lawyers; None: not published
        self.engine = engine  # a partition's own, unless it switched (`engines`)
        self.engines: dict[int, Engine] = {}
        self.cache = cache
        self.stores = stores
        self.home = home  # the partition a key belongs to; None: wherever it was read
        self.source_topic = settings.topic("case-events")
        self.warnings_topic = settings.topic("warnings")
        self.rows_topic = settings.topic("case-rows")
        self.dead_letter_topic = settings.topic("case-events.dlq")
        self.changelog_topic = settings.topic("case-state")
        self.notices_topic = settings.topic("lawyer-notices")

    # ------------------------------------------------------------------ the three kinds

    def engine_of(self, partition: int) -> Engine:
        return self.engines.get(partition, self.engine)

    def records(self, partition: int, records: Iterable, now: datetime,
                out: Result) -> Iterator[None]:
        by_case: dict[str, list[Arrival]] = {}
        for r in records:
            out.offset = r.offset + 1
            if control_kind(r) is not None:  # the records before it, then the switch
                yield from self._cases(partition, by_case, now, out)
                by_case = {}
                self._switch(partition, r, out)
                continue
            try:
                event = parse_event(r.value if r.value is not None else b"")
            except InvalidEvent as exc:
                self._reject(out, r, exc.reasons)
                continue
            ahead = check_not_ahead(event, _record_time(r))
            if ahead:
                self._reject(out, r, ahead)
                continue
            key = r.key.decode("utf-8", "replace") if r.key is not None else None
            if key != event.case_id:
                self._reject(out, r, [f"message key {key!r} must be the event's case_id "
                                      f"{event.case_id!r}"])
                continue
            home = partition if self.home is None else self.home(r.key)
            if home != partition:
                metrics.EVENTS_IN.labels("forwarded").inc()
                out.sends.append(Send(self.source_topic, r.key, r.value, home))
                continue
            by_case.setdefault(event.case_id, []).append(Arrival(event, r.value, r.offset))
        yield
        yield from self._cases(partition, by_case, now, out)

    def _cases(self, partition: int, by_case: dict[str, list[Arrival]], now: datetime,
               out: Result) -> Iterator[None]:
        received = _received()
        for case_id, arrivals in by_case.items():
            self._case_events(partition, case_id, arrivals, now, received, out)
            yield

    def dues(self, partition: int, case_ids: Iterable[str], now: datetime,
             out: Result) -> Iterator[None]:
        for case_id in case_ids:
            self._case_due(partition, case_id, now, out)
            yield

    def replay(self, partition: int, now: datetime, out: Result) -> Iterator[None]:
        """Try every quarantined case of the partition again."""
        for case_id in self.stores[partition].quarantined():
            self._replay(partition, case_id, now, out)
            yield

    def sweep(self, partition: int, now: datetime, out: Result,
              step: int = SWEEP_STEP) -> Iterator[None]:
        """Re-time the next `step` cases of a partition under its rule set (streams/
        rulesets.py); the sweep's position goes to the changelog with them."""
        store = self.stores[partition]
        after = parse_cursor(store.get(PARTITION_CASE, SWEEP_ITEM))
        if after is None:
            return
        case_ids = store.case_ids(after, step)
        for case_id in case_ids:
            if store.get(case_id, QUARANTINE_ITEM) is None:
                self._by_clock(partition, case_id, now, out, "rules",
                               lambda logic: logic.evaluate_all(now))
            yield
        cursor = item_key(PARTITION_CASE, SWEEP_ITEM)
        if len(case_ids) < step:
            self._changelog(out, partition, cursor, None)
            out.sweep = "done"
            log.info("partition %d re-timed under its rule set", partition)
        else:
            self._changelog(out, partition, cursor, orjson.dumps({"after": case_ids[-1]}))
            out.sweep = "running"
        metrics.SWEPT.inc(len(case_ids))

    def _switch(self, p: int, r, out: Result) -> None:
        """A marker on the source: from here on the partition's rule set is the one named."""
        try:
            marker = parse_marker(r.value)
        except ValueError as exc:
            self._reject(out, r, [f"not a rule set marker: {exc}"])
            return
        reasons = marker_reasons(self.book, marker) if self.book else ["rules do not change"]
        if reasons:
            self._reject(out, r, reasons)
            return
        if marker.content_hash in self.engine_of(p).catalogue.version:
            return  # already in force here
        try:
            engine = self.book.engine(marker.content_hash)
        except Exception as exc:  # noqa: BLE001  checked when published; never fall over
            self._reject(out, r, [f"rule set {marker.content_hash} does not load: {exc}"])
            return
        self.engines[p] = engine
        self.cache.drop_partitions([p])  # their walks were under the old rules
        self._changelog(out, p, item_key(PARTITION_CASE, RULESET_ITEM),
                        marker.content_hash.encode())
        self._changelog(out, p, item_key(PARTITION_CASE, SWEEP_ITEM),
                        orjson.dumps({"after": ""}))
        out.sweep = "running"
        metrics.RULESET_SWITCHES.inc()
        log.warning("partition %d switched to rule set %s at offset %d", p,
                    engine.catalogue.version, r.offset)

    def _by_clock(self, p: int, case_id: str, now: datetime, out: Result, reason: str,
                  evaluate: Callable[[CaseLogic], Outcome]) -> None:
        """A case evaluated with no new event (a due, new rules): its outputs, or, if that
        fails, the case quarantined."""
        try:
            logic = self._logic(p, case_id)
            staged = Result(p)
            self._emit(staged, p, case_id, logic, evaluate(logic), "")
        except Exception as exc:
            log.exception("case %s failed (%s): quarantined", case_id, reason)
            self.cache.drop(p, case_id)
            self._quarantine(p, case_id, [], reason, exc, now, out)
            return
        out.extend(staged)

    # ------------------------------------------------------------------ one case

    def _case_events(self, p: int, case_id: str, arrivals: list[Arrival], now: datetime,
                     received: str, out: Result) -> None:
        if self.units is not None:
            self._check_units(p, case_id, {a.event.unit_id for a in arrivals}, now, out)
        if self._keep_if_quarantined(p, case_id, arrivals, out):
            return
        try:
            out.extend(self._apply(p, case_id, arrivals, now, received))
            return
        except Exception:
            log.exception("processing case %s failed; its events are tried one by one", case_id)
            self.cache.drop(p, case_id)
        try:
            self._logic(p, case_id).evaluate_all(now)  # is its history itself at fault?
        except Exception as exc:
            log.exception("case %s cannot be evaluated: quarantined", case_id)
            self._quarantine(p, case_id, arrivals, "events", exc, now, out)
            return
        finally:
            self.cache.drop(p, case_id)
        good: list[Arrival] = []
        staged = Result(p)
        for a in arrivals:
            try:
                part = self._apply(p, case_id, [a], now, received)
            except Exception as exc:
                log.exception("event at offset %d of case %s failed", a.offset, case_id)
                self._reject(out, _Raw.of(a, self.source_topic, p, case_id),
                             [f"processing failed: {type(exc).__name__}: {exc}"], "error")
                self.cache.drop(p, case_id)  # back to the stored state, then the good ones
                staged = self._apply(p, case_id, good, now, received) if good else Result(p)
                continue
            staged.extend(part)
            good.append(a)
        out.extend(staged)

    def _case_due(self, p: int, case_id: str, now: datetime, out: Result) -> None:
        if self.cache.get(p, case_id) is None and self._quarantined(p, case_id) is not None:
            out.dues.append((case_id, None))
            return
        self._by_clock(p, case_id, now, out, "due", lambda logic: _fired(logic, now))

    def _replay(self, p: int, case_id: str, now: datetime, out: Result) -> None:
        items = self.stores[p].load(case_id)
        q = Quarantine.model_validate_json(items.pop(QUARANTINE_ITEM))
        kept = sorted(item for item in items if item.startswith(PENDING_PREFIX))
        raws = [(pending_offset(item), items.pop(item)) for item in kept]
        staged = Result(p)
        arrivals = []
        for offset, raw in raws:
            try:
                arrivals.append(Arrival(parse_event(raw), raw, offset))
            except InvalidEvent as exc:  # the contract changed while it was kept
                self._reject(staged, _Raw(self.source_topic, p, offset, case_id, raw),
                             exc.reasons)
        try:
            logic = CaseLogic.restore(case_id, self.engine_of(p), items)
            self._emit(staged, p, case_id, logic, logic.evaluate_all(now), "")
            if arrivals:
                self._emit(staged, p, case_id, logic, logic.on_events(arrivals, now),
                           _received())
        except Exception:
            log.exception("quarantined case %s still fails; it stays set aside", case_id)
            return
        self.cache.put(p, case_id, logic, time.monotonic())
        for item in (QUARANTINE_ITEM, *kept):
            self._changelog(staged, p, item_key(case_id, item), None)
        self._send_warning(staged, case_id, released(q, now))
        metrics.QUARANTINED.labels(str(p)).dec()
        log.info("case %s left quarantine: %d kept events replayed", case_id, len(arrivals))
        out.extend(staged)

    # ------------------------------------------------------------------ pieces

    def _apply(self, p: int, case_id: str, arrivals: list[Arrival], now: datetime,
               received: str) -> Result:
        """A case's new events applied: its outputs, or an exception and nothing."""
        staged = Result(p)
        logic = self._logic(p, case_id)
        outcome = logic.on_events(arrivals, now)
        metrics.EVENTS_IN.labels("valid").inc(len(outcome.archived))
        metrics.EVENTS_IN.labels("duplicate").inc(outcome.duplicates)
        for a, reason in outcome.conflicts:
            self._reject(staged, _Raw.of(a, self.source_topic, p, case_id), [reason],
                         "conflict")
        self._emit(staged, p, case_id, logic, outcome, received)
        if self.notices is not None:
            self._notify_lawyers(staged, p, case_id, logic, outcome.archived)
        return staged

    def _notify_lawyers(self, out: Result, p: int, case_id: str, logic: CaseLogic,
                        archived: list[Arrival]) -> None:
        for notice in self.notices.notices(logic, archived):
            item = NOTICE_PREFIX + notice.notice_id
            if self.stores[p].get(case_id, item) is None:
                out.sends.append(Send(self.notices_topic, case_id.encode(),
                                      notice.model_dump_json().encode()))
                self._changelog(out, p, item_key(case_id, item), b"1")

    def _logic(self, p: int, case_id: str) -> CaseLogic:
        logic = self.cache.get(p, case_id)
        if logic is None:
            logic = CaseLogic.restore(case_id, self.engine_of(p), self.stores[p].reader(case_id))
        self.cache.put(p, case_id, logic, time.monotonic())
        return logic

    def _check_units(self, p: int, case_id: str, units: set[str], now: datetime,
                     out: Result) -> None:
        """A system warning 未登记单位 for each unit of the case not in the registry,
        resolved once it is registered (item `u:<warning id>` keeps what was shown)."""
        registry = self.units()
        for unit in sorted(units):
            registered = registry.registered(unit)
            warning = system_warning(UNREGISTERED_UNIT, case_id, unit, now, unit,
                                     resolved=registered, subject=unit)
            item = UNIT_WARNING_PREFIX + warning.warning_id
            shown = self.stores[p].get(case_id, item)
            if (not registered and shown is None) or (registered and shown == OPEN):
                self._send_warning(out, case_id, warning)
                self._changelog(out, p, item_key(case_id, item),
                                RESOLVED if registered else OPEN)

    def _quarantined(self, p: int, case_id: str) -> Quarantine | None:
        raw = self.stores[p].get(case_id, QUARANTINE_ITEM)
        return None if raw is None else Quarantine.model_validate_json(raw)

    def _keep_if_quarantined(self, p: int, case_id: str, arrivals: list[Arrival],
                             out: Result) -> bool:
        if self.cache.get(p, case_id) is not None or self._quarantined(p, case_id) is None:
            return False
        for a in arrivals:
            self._changelog(out, p, item_key(case_id, pending_item(a.offset)), a.raw)
        metrics.EVENTS_IN.labels("quarantined").inc(len(arrivals))
        return True

    def _quarantine(self, p: int, case_id: str, arrivals: list[Arrival], reason: str,
                    exc: BaseException, now: datetime, out: Result) -> None:
        unit_id = arrivals[0].event.unit_id if arrivals else self._unit_of(p, case_id)
        q = quarantine(case_id, unit_id, reason, exc, now)
        self._changelog(out, p, item_key(case_id, QUARANTINE_ITEM), q.model_dump_json().encode())
        for a in arrivals:
            self._changelog(out, p, item_key(case_id, pending_item(a.offset)), a.raw)
        self._send_warning(out, case_id, q.warning)
        out.dues.append((case_id, None))
        metrics.QUARANTINED.labels(str(p)).inc()
        metrics.EVENTS_IN.labels("quarantined").inc(len(arrivals))

    def _unit_of(self, p: int, case_id: str) -> str:
        """The unit of a case whose state cannot be read: from any stored event, leniently."""
        for item, value in self.stores[p].load(case_id).items():
            if item.startswith("e:"):
                try:
                    return str(orjson.loads(value)["unit_id"])
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    continue
        return ""

    def _emit(self, out: Result, p: int, case_id: str, logic: CaseLogic, outcome: Outcome,
              received: str) -> None:
        for w in outcome.warnings:
            metrics.WARNINGS.labels(w.rule_id, w.level.value, w.status.value).inc()
            self._send_warning(out, case_id, w)
        rows = [orjson.dumps({"table": "events", "event": a.raw.decode("utf-8", "replace"),
                              "partition": p, "offset": a.offset, "received_at": received})
                for a in outcome.archived]
        rows += [orjson.dumps({"table": "measure_state", "state": m.model_dump(mode="json"),
                               "version": outcome.version}) for m in outcome.measures]
        rows += [orjson.dumps({"table": "obligation_state", "state": s,
                               "version": outcome.version}) for s in outcome.obligations]
        key = case_id.encode()
        for part in _cut(rows, ROWS_LIMIT):
            out.sends.append(Send(self.rows_topic, key, b'{"rows":[' + b",".join(part) + b"]}"))
        for item, value in logic.changes().items():
            self._changelog(out, p, item_key(case_id, item), value)
        out.dues.append((case_id, logic.next_due()))

    def _send_warning(self, out: Result, case_id: str, warning) -> None:
        out.sends.append(Send(self.warnings_topic, case_id.encode(),
                              _fitting(self.warnings_topic, warning.model_dump_json().encode())))

    def _changelog(self, out: Result, p: int, key: bytes, value: bytes | None) -> None:
        if value is not None:
            _fitting(self.changelog_topic, value)
        out.sends.append(Send(self.changelog_topic, key, value, p))
        out.changelog.append((key, value))

    def _reject(self, out: Result, r, reasons: list[str], result: str = "invalid") -> None:
        metrics.EVENTS_IN.labels(result).inc()
        log.info("dead-lettered %s[%d]@%d: %s", r.topic, r.partition, r.offset, reasons)
        value = dead_letter(r.value, r.key, reasons, r.topic, r.partition, r.offset,
                            self.settings.dead_letter_value_limit)
        out.sends.append(Send(self.dead_letter_topic, r.key, value))


def _record_time(r) -> datetime:
    """The broker's time of a record (`case-events` stamps LogAppendTime); now, for a record
    without one."""
    timestamp = getattr(r, "timestamp", None)
    if timestamp is None or timestamp < 0:
        return datetime.now(UTC)
    return datetime.fromtimestamp(timestamp / 1000, UTC)


def _fired(logic: CaseLogic, now: datetime) -> Outcome:
    due = logic.next_due()
    if due is not None:
        metrics.FIRE_DELAY.observe(max(0.0, time.time() - due))
    return logic.on_due(now)


def _received() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _fitting(topic: str, value: bytes) -> bytes:
    if len(value) > MESSAGE_LIMIT:
        raise OutputTooLarge(f"a {len(value)}-byte message for {topic} exceeds "
                             f"{MESSAGE_LIMIT} bytes")
    return value


def _cut(rows: list[bytes], limit: int) -> Iterator[list[bytes]]:
    """Rows in runs whose joined size stays under `limit` (a row over it alone fails)."""
    part: list[bytes] = []
    size = 0
    for row in rows:
        if part and size + len(row) + 1 > limit:
            yield part
            part, size = [], 0
        _fitting("case-rows", row)
        part.append(row)
        size += len(row) + 1
    if part:
        yield part


@dataclass(slots=True)
class _Raw:
    """Where an input came from, shaped like the record it was read from."""

    topic: str
    partition: int
    offset: int
    case_id: str
    value: bytes

    @property
    def key(self) -> bytes:
        return self.case_id.encode()

    @classmethod
    def of(cls, a: Arrival, topic: str, partition: int, case_id: str) -> "_Raw":
        return cls(topic, partition, a.offset, case_id, a.raw)
