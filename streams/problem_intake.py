"""The problems intake: every problem entered from outside reaches the loop, or the
dead-letter topic with its reasons; an unsatisfied visit opens a problem of its own.

Runs in the sink process (cli/sink.py), consumer group `<app_id>-problems`:

- `<prefix>problems` (anyone with Write: other systems, `casewatch problems import`, the
  web form), key = problem_id: each record is checked (rules/problem_entry.py). An accepted
  problem is published to the compacted `<prefix>problem-records`, which the sink and the
  console read; an invalid one goes to `<prefix>problems.dlq` (schemas/dead_letter.py).
  A problem_id already recorded with the same body counts once (not published again); with
  another body it is a conflict and dead-lettered: the first version stays.
- `<prefix>case-rows` (the worker's accepted events, read_committed): a `visit_result`
  whose party is unsatisfied opens a problem of source `visit` (type `visit_unsatisfied`)
  with an id derived from the event, so a record read twice opens it once.

Offsets are committed only after everything a batch produced is acknowledged; a failure
re-reads the batch (outputs are idempotent, as above). The known problems are loaded from
problem-records on every partition assignment.
"""

import asyncio
import hashlib
import logging
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from kafka import TopicPartition as KafkaPartition

from rules.problem_entry import InvalidProblem, accept_problem
from schemas.case_rows import CaseRows, EventRow
from schemas.details import VisitResult
from schemas.enums import Satisfaction
from schemas.event import parse_event
from schemas.problem import FinderRole, Problem, ProblemSource
from streams import kafka_clients
from streams.dead_letter import dead_letter
from streams.kafka_clients import connection
from streams.settings import Settings

log = logging.getLogger(__name__)
VISIT_PROBLEM_TYPE = "visit_unsatisfied"
SYSTEM_FINDER = "casewatch"


def body_hash(problem: Problem) -> str:
    return hashlib.sha256(problem.to_json()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What one input record becomes: a problem to record, a dead letter, or nothing."""

    problem: Problem | None = None
    reasons: tuple[str, ...] = ()


def decide(value: bytes | None, key: bytes | None, sent_at: datetime,
           known: Mapping[str, str]) -> Outcome:
    """The outcome of one record of the problems topic, given the known problems
    (problem_id -> body hash)."""
    try:
        problem = accept_problem(value, key, sent_at)
    except InvalidProblem as exc:
        return Outcome(reasons=tuple(exc.reasons))
    held = known.get(problem.problem_id)
    if held is None:
        return Outcome(problem=problem)
    if held != body_hash(problem):
        return Outcome(reasons=(f"conflict: problem_id {problem.problem_id!r} is recorded "
                                "already with another body; the first version stays",))
    return Outcome()  # the same problem again: it counts once


def visit_problem_id(case_id: str, event_id: str) -> str:
    digest = hashlib.sha256(f"{case_id}\0{event_id}".encode()).hexdigest()[:32]
    return f"visit-{digest}"


def visit_problems(value: bytes | None) -> list[Problem]:
    """The problems the unsatisfied visit results of one case-rows message open."""
    if not value or b"visit_result" not in value:  # most messages: no visit result at all
        return []
    out = []
    for row in CaseRows.model_validate_json(value).rows:
        if not isinstance(row, EventRow):
            continue
        event = parse_event(row.event)
        details = event.details
        if not (isinstance(details, VisitResult)
                and details.satisfaction is Satisfaction.unsatisfied):
            continue
        comment = f"，意见见 {details.comment_ref}" if details.comment_ref else ""
        out.append(Problem(
            schema_version=1,
            problem_id=visit_problem_id(event.case_id, event.event_id),
            source=ProblemSource.visit,
            unit_id=event.unit_id,
            case_id=event.case_id,
            person_id=event.person_id,
            problem_type=VISIT_PROBLEM_TYPE,
            description=f"回访 {details.visit_id} 当事人不满意{comment}"
                        f" / party unsatisfied in visit {details.visit_id}",
            found_by=SYSTEM_FINDER,
            found_by_role=FinderRole.system,
            found_at=event.occurred_at,
            attachments=[details.comment_ref] if details.comment_ref else [],
            evidence=[event.event_id],
        ))
    return out


class ProblemIntake:
    def __init__(self, settings: Settings, producer, *, max_backoff: float = 5.0):
        self.settings = settings
        self.producer = producer
        self.problems = settings.topic("problems")
        self.case_rows = settings.topic("case-rows")
        self.records = settings.topic("problem-records")
        self.dlq = settings.topic("problems.dlq")
        self.group = f"{settings.app_id}-problems"
        self.known: dict[str, str] = {}  # recorded problems: problem_id -> body hash
        self._pending: dict[str, str] = {}  # those of the batch in flight
        self.max_backoff = max_backoff
        self.consumer: AIOKafkaConsumer | None = None

    def _consumer(self, group: str | None) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            **connection(self.settings), group_id=group, client_id=self.group,
            enable_auto_commit=False, auto_offset_reset="earliest",
            isolation_level="read_committed")

    async def load_known(self) -> None:
        """Read problem-records to its end: the problems recorded so far. (kafka-python in
        a thread: an aiokafka consumer stopped right after its start can raise
        CancelledError out of stop(), which inside a rebalance listener ends the group.)"""
        self.known = await asyncio.to_thread(self._read_known)
        log.info("problems intake knows %d recorded problems", len(self.known))

    def _read_known(self) -> dict[str, str]:
        reader = kafka_clients.consumer(self.settings, group_id=None, enable_auto_commit=False,
                                        isolation_level="read_committed")
        try:
            tps = [KafkaPartition(self.records, p)
                   for p in reader.partitions_for_topic(self.records) or ()]
            reader.assign(tps)
            reader.seek_to_beginning(*tps)
            ends = reader.end_offsets(tps)
            known = {}
            while any(reader.position(tp) < end for tp, end in ends.items()):
                for records in reader.poll(timeout_ms=500).values():
                    for m in records:
                        try:
                            problem = Problem.model_validate_json(m.value)
                        except ValueError:
                            continue
                        known[problem.problem_id] = body_hash(problem)
            return known
        finally:
            reader.close()

    async def run(self, stopping: asyncio.Event) -> None:
        self.consumer = consumer = self._consumer(self.group)
        consumer.subscribe([self.problems, self.case_rows], listener=_Reload(self))
        await consumer.start()
        try:
            delay = 0.2
            while not stopping.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                if not batches:
                    continue
                try:
                    await self.take(batches)
                except KafkaError as exc:  # nothing committed: read the batch again
                    log.warning("problems intake batch failed, re-reading it: %s", exc)
                    owned = consumer.assignment()
                    for tp, records in batches.items():
                        if tp in owned:
                            consumer.seek(tp, records[0].offset)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.max_backoff)
                    continue
                delay = 0.2
                try:
                    await consumer.commit({tp: records[-1].offset + 1
                                           for tp, records in batches.items()})
                except KafkaError as exc:  # a rebalance: the new owner reads it again, and
                    # what it publishes again counts once
                    log.warning("problems intake commit refused: %s", exc)
        finally:
            await consumer.stop()

    async def take(self, batches: dict) -> None:
        """Publish what a fetched batch yields and wait until Kafka has all of it; only then
        do its problems count as recorded (a failed batch is read again, none lost)."""
        self._pending = {}
        delivered = []
        for tp, records in batches.items():
            for m in records:
                outputs = self._problem(m) if tp.topic == self.problems else self._visits(m)
                for topic, key, value in outputs:
                    delivered.append(await self.producer.send(topic, key=key, value=value))
        await asyncio.gather(*delivered)
        self.known.update(self._pending)

    def _seen(self) -> Mapping[str, str]:
        return ChainMap(self._pending, self.known)

    def _record(self, problem: Problem) -> tuple[str, bytes, bytes]:
        self._pending[problem.problem_id] = body_hash(problem)
        return self.records, problem.problem_id.encode(), problem.to_json()

    def _problem(self, m) -> list[tuple[str, bytes | None, bytes]]:
        sent_at = datetime.fromtimestamp(m.timestamp / 1000, UTC)
        outcome = decide(m.value, m.key, sent_at, self._seen())
        if outcome.problem is not None:
            return [self._record(outcome.problem)]
        if outcome.reasons:
            log.warning("problem record %s[%d]@%d dead-lettered: %s", m.topic, m.partition,
                        m.offset, "; ".join(outcome.reasons))
            value = dead_letter(m.value, m.key, list(outcome.reasons), m.topic, m.partition,
                                m.offset, value_limit=self.settings.dead_letter_value_limit)
            return [(self.dlq, m.key, value)]
        return []

    def _visits(self, m) -> list[tuple[str, bytes, bytes]]:
        try:
            problems = visit_problems(m.value)
        except ValueError as exc:  # not the worker's record: the sink dead-letters it
            log.debug("case-rows record %d skipped by the intake: %s", m.offset, exc)
            return []
        seen = self._seen()
        return [self._record(p) for p in problems if seen.get(p.problem_id) != body_hash(p)]


class _Reload(ConsumerRebalanceListener):
    def __init__(self, owner: ProblemIntake):
        self.owner = owner

    async def on_partitions_revoked(self, revoked):
        pass

    async def on_partitions_assigned(self, assigned):
        await self.owner.load_known()
