"""Fill the problem set and keep it current from the topics `problem-records` (the problems
the intake accepted; compacted) and `problem-actions`, both read from the beginning
(human-made, small), read_committed. `load()` returns once both are read to the end
offsets seen at start; `follow()` then applies what comes."""

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from schemas.problem import Problem
from schemas.problem_action import ProblemAction
from streams import kafka_clients
from streams.settings import Settings
from web.feed import partitions_of
from web.problem_set import ProblemSet

log = logging.getLogger(__name__)


class ProblemFeed:
    def __init__(self, settings: Settings, problems: ProblemSet):
        self.settings = settings
        self.problems = problems
        self.records = settings.topic("problem-records")
        self.actions = settings.topic("problem-actions")
        self.consumer: AIOKafkaConsumer | None = None
        self.bad_records = 0

    async def load(self) -> None:
        self.problems.clear()
        self.consumer = AIOKafkaConsumer(
            **kafka_clients.connection(self.settings), group_id=None, enable_auto_commit=False,
            fetch_max_wait_ms=50, auto_offset_reset="earliest",
            isolation_level="read_committed")
        await self.consumer.start()
        loop = asyncio.get_running_loop()
        tps = []
        for topic in (self.records, self.actions):
            parts = await loop.run_in_executor(None, partitions_of, self.settings, topic)
            if not parts:
                raise RuntimeError(f"topic {topic} not found")
            tps += [TopicPartition(topic, p) for p in parts]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        ends = await self.consumer.end_offsets(tps)
        while any([await self.consumer.position(tp) < end for tp, end in ends.items()]):
            await self._poll(timeout_ms=200)
        log.info("problems loaded: %d, %d with actions", len(self.problems.problems),
                 len(self.problems.actions))

    async def follow(self) -> None:
        while True:
            try:
                await self._poll(timeout_ms=1000)
            except KafkaError as exc:  # the client reconnects by itself; keep following
                log.warning("reading the problem topics failed, retrying: %s", exc)
                await asyncio.sleep(1.0)

    async def _poll(self, timeout_ms: int) -> None:
        for tp, records in (await self.consumer.getmany(timeout_ms=timeout_ms)).items():
            for m in records:
                self.apply(tp.topic, m.value)

    def apply(self, topic: str, value: bytes | None) -> None:
        try:
            if topic == self.records:
                self.problems.apply_problem(Problem.model_validate_json(value or b""))
            else:
                self.problems.apply_action(ProblemAction.model_validate_json(value or b""))
        except (ValidationError, ValueError) as exc:
            self.bad_records += 1
            log.warning("unreadable record on %s skipped: %s", topic, exc)

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None
