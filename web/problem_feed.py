"""Fill the problem set and keep it current from the topics `problem-records` (the problems
the intake accepted; compacted) and `problem-actions`, both read from the beginning
(human-made, small), read_committed. `load()` returns once both are read to the end
offsets seen at start; `follow()` then applies what comes."""

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from schemas.problem import Problem
from schemas.problem_action import ProblemAction
from streams import kafka_clients
from streams.settings import Settings
from web.feed import TopicFollower
from web.problem_set import ProblemSet

log = logging.getLogger(__name__)


class ProblemFeed(TopicFollower):
    def __init__(self, settings: Settings, problems: ProblemSet):
        super().__init__(settings)
        self.problems = problems
        self.records = settings.topic("problem-records")
        self.actions = settings.topic("problem-actions")

    async def load(self) -> None:
        self.problems.clear()
        self.consumer = AIOKafkaConsumer(
            **kafka_clients.connection(self.settings), group_id=None, enable_auto_commit=False,
            fetch_max_wait_ms=50, auto_offset_reset="earliest",
            isolation_level="read_committed")
        await self.consumer.start()
        tps = [TopicPartition(topic, p) for topic in (self.records, self.actions)
               for p in await self._partitions(topic)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        ends = await self.consumer.end_offsets(tps)
        while not await self._reached(ends):
            await self._poll(timeout_ms=200)
        log.info("problems loaded: %d, %d of them open", len(self.problems.problems),
                 sum(self.problems.is_open(pid) for pid in self.problems.problems))

    def apply(self, topic: str, value: bytes | None) -> None:
        try:
            if topic == self.records:
                self.problems.apply_problem(Problem.model_validate_json(value or b""))
            else:
                self.problems.apply_action(ProblemAction.model_validate_json(value or b""))
        except (ValidationError, ValueError) as exc:
            self.bad_records += 1
            log.warning("unreadable record on %s skipped: %s", topic, exc)
