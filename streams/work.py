"""What one batch of source records, or one round of dues, turns into: messages to send,
changelog records to persist, dues to index, offsets to commit. No Faust and no Kafka I/O:
the agent sends and persists (streams/runtime.py).

A case touched several times in a batch is evaluated once: a warning raised and withdrawn
inside one batch may then never be published (its final state is).
"""

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from rules.engine import Engine
from schemas.event import InvalidEvent, parse_event
from streams import metrics
from streams.case_cache import CaseCache
from streams.case_logic import Arrival, CaseLogic, Outcome
from streams.case_store import PartitionStore, item_key
from streams.dead_letter import dead_letter
from streams.settings import Settings

log = logging.getLogger(__name__)
RETRY_FAILED_DUE = 60.0  # seconds before a due whose evaluation failed is tried again


@dataclass(slots=True)
class Send:
    topic: str
    key: bytes | None
    value: bytes
    partition: int | None = None


@dataclass(slots=True)
class Job:
    """A unit of work for the agent: source records, or (partition, case_id) dues."""

    records: list = field(default_factory=list)  # aiokafka ConsumerRecords
    dues: list[tuple[int, str]] = field(default_factory=list)
    done: asyncio.Future | None = None


@dataclass(slots=True)
class Result:
    sends: list[Send] = field(default_factory=list)
    changelog: dict[int, list[tuple[bytes, bytes]]] = field(default_factory=dict)
    dues: list[tuple[int, str, float | None]] = field(default_factory=list)
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)  # next offset to read


class Processor:
    def __init__(self, settings: Settings, engine: Engine, cache: CaseCache,
                 stores: dict[int, PartitionStore]):
        self.settings = settings
        self.engine = engine
        self.cache = cache
        self.stores = stores
        self.warnings_topic = settings.topic("warnings")
        self.rows_topic = settings.topic("case-rows")
        self.dead_letter_topic = settings.topic("case-events.dlq")
        self.changelog_topic = settings.topic("case-state")

    def records(self, records: Iterable, now: datetime) -> Result:
        out = Result()
        by_case: dict[str, tuple[int, list[Arrival]]] = {}
        for r in records:
            out.offsets[(r.topic, r.partition)] = r.offset + 1
            try:
                event = parse_event(r.value if r.value is not None else b"")
            except InvalidEvent as exc:
                self._reject(out, r, exc.reasons)
                continue
            key = r.key.decode("utf-8", "replace") if r.key is not None else None
            if key != event.case_id:
                self._reject(out, r, [f"message key {key!r} must be the event's case_id "
                                      f"{event.case_id!r}"])
                continue
            by_case.setdefault(event.case_id, (r.partition, []))[1].append(
                Arrival(event, r.value, r.offset))
        received = datetime.now(UTC).replace(microsecond=0).isoformat()
        for case_id, (partition, arrivals) in by_case.items():
            logic = self._logic(case_id, partition)
            try:
                outcome = logic.on_events(arrivals, now)
            except Exception as exc:  # a bug must neither stop the worker nor lose the input
                log.exception("processing case %s failed", case_id)
                self.cache.drop(case_id)
                for a in arrivals:
                    self._reject(out, _Source(a, self.settings, partition, case_id),
                                 [f"processing failed: {type(exc).__name__}: {exc}"], "error")
                continue
            metrics.EVENTS_IN.labels("valid").inc(len(outcome.archived))
            metrics.EVENTS_IN.labels("duplicate").inc(outcome.duplicates)
            for a, reason in outcome.conflicts:
                self._reject(out, _Source(a, self.settings, partition, case_id), [reason],
                             "conflict")
            self._emit(out, case_id, partition, logic, outcome, received)
        return out

    def dues(self, dues: Iterable[tuple[int, str]], now: datetime) -> Result:
        out = Result()
        for partition, case_id in dues:
            logic = self._logic(case_id, partition)
            due = logic.next_due()
            if due is not None:
                metrics.FIRE_DELAY.observe(max(0.0, time.time() - due))
            try:
                outcome = logic.on_due(now)
            except Exception:  # a bug: keep the due, try again later, go on with the others
                log.exception("evaluating due case %s failed", case_id)
                self.cache.drop(case_id)
                out.dues.append((partition, case_id, time.time() + RETRY_FAILED_DUE))
                continue
            self._emit(out, case_id, partition, logic, outcome, "")
        return out

    # ------------------------------------------------------------------------------------

    def _logic(self, case_id: str, partition: int) -> CaseLogic:
        logic = self.cache.get(case_id)
        if logic is None:
            logic = CaseLogic.restore(case_id, self.engine, self.stores[partition].reader(case_id))
        self.cache.put(case_id, logic, partition, time.monotonic())
        return logic

    def _emit(self, out: Result, case_id: str, partition: int, logic: CaseLogic,
              outcome: Outcome, received: str) -> None:
        key = case_id.encode()
        for w in outcome.warnings:
            metrics.WARNINGS.labels(w.rule_id, w.level.value, w.status.value).inc()
            out.sends.append(Send(self.warnings_topic, key, w.model_dump_json().encode()))
        rows = [{"table": "events", "event": a.raw.decode("utf-8", "replace"),
                 "partition": partition, "offset": a.offset, "received_at": received}
                for a in outcome.archived]
        rows += [{"table": "measure_state", "state": m.model_dump(mode="json"),
                  "version": outcome.version} for m in outcome.measures]
        rows += [{"table": "obligation_state", "state": s, "version": outcome.version}
                 for s in outcome.obligations]
        if rows:  # one message per case and batch
            out.sends.append(Send(self.rows_topic, key, orjson.dumps({"rows": rows})))
        changes = [(item_key(case_id, item), value) for item, value in logic.changes().items()]
        for k, v in changes:
            out.sends.append(Send(self.changelog_topic, k, v, partition))
        out.changelog.setdefault(partition, []).extend(changes)
        out.dues.append((partition, case_id, logic.next_due()))

    def _reject(self, out: Result, r, reasons: list[str], result: str = "invalid") -> None:
        metrics.EVENTS_IN.labels(result).inc()
        log.info("dead-lettered %s[%d]@%d: %s", r.topic, r.partition, r.offset, reasons)
        value = dead_letter(r.value, r.key, reasons, r.topic, r.partition, r.offset,
                            self.settings.dead_letter_value_limit)
        out.sends.append(Send(self.dead_letter_topic, r.key, value))


@dataclass(slots=True)
class _Source:
    """Where an arrival came from, shaped like the record it was read from."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes

    def __init__(self, a: Arrival, settings: Settings, partition: int, case_id: str):
        self.topic = settings.topic("case-events")
        self.partition, self.offset = partition, a.offset
        self.key, self.value = case_id.encode(), a.raw
