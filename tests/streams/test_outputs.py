"""streams.outputs: a partition's messages and its source offset are committed in one
transaction, or the transaction is aborted and tried again whole; a fenced producer raises
Fenced at once; keyed messages go where Kafka's default partitioner puts them, in order."""

import asyncio

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaTimeoutError, ProducerFenced
from aiokafka.partitioner import DefaultPartitioner

from streams.outputs import Fenced, OutputsFailed, PartitionProducer, transactional_id
from streams.settings import Settings
from streams.work import Send


class Batch:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.records: list[tuple[bytes | None, bytes]] = []

    def append(self, *, key, value, timestamp):
        if len(self.records) == self.capacity:
            return None
        self.records.append((key, value))
        return object()


class FakeProducer:
    """A log per topic-partition that keeps only committed transactions; the first
    `fail` transactions fail at commit with `error`."""

    def __init__(self, fail: int = 0, error: Exception | None = None, capacity: int = 2,
                 abort_error: Exception | None = None):
        self.fail, self.error, self.capacity = fail, error, capacity
        self.abort_error = abort_error
        self.logs: dict[tuple[str, int], list[tuple]] = {}
        self.offsets: dict = {}
        self.pending: list = []
        self.transactions = self.aborts = 0

    async def partitions_for(self, topic):
        return {0, 1, 2}

    async def begin_transaction(self):
        self.transactions += 1
        self.pending = []

    def create_batch(self):
        return Batch(self.capacity)

    async def send_batch(self, batch, topic, *, partition):
        log = self.logs.setdefault((topic, partition), [])
        fut = asyncio.get_running_loop().create_future()
        base = len(log) + sum(len(b.records) for t, p, b in self.pending
                              if (t, p) == (topic, partition))
        fut.set_result(type("Meta", (), {"offset": base})())
        self.pending.append((topic, partition, batch))
        return fut

    async def send_offsets_to_transaction(self, offsets, group_id):
        self.pending_offsets = (offsets, group_id)

    async def commit_transaction(self):
        if self.transactions <= self.fail:
            raise self.error
        for topic, partition, batch in self.pending:
            self.logs.setdefault((topic, partition), []).extend(batch.records)
        if getattr(self, "pending_offsets", None):
            offsets, group = self.pending_offsets
            self.offsets.update({(group, tp): o for tp, o in offsets.items()})

    async def abort_transaction(self):
        self.aborts += 1
        if self.abort_error is not None:
            raise self.abort_error
        self.pending = []
        self.pending_offsets = None


class StuckProducer(FakeProducer):
    """aiokafka's sender routine died (seen after a broker restart: its transaction commit
    raised while looking up the coordinator): commit and abort wait for ever."""

    async def commit_transaction(self):
        await asyncio.Event().wait()

    async def abort_transaction(self):
        self.aborts += 1
        await asyncio.Event().wait()


def commit(fake: FakeProducer, sends, offsets=None, retries=2, timeout=60.0):
    async def go():
        out = PartitionProducer(Settings(send_retries=retries), 0, backoff=0,
                                timeout=timeout)
        out.producer = fake  # in place of the real one (started by `start`)
        return await out.commit(sends, offsets, "grp")

    return asyncio.run(go())


SENDS = [Send("w", b"C1", b"1"), Send("w", b"C1", b"2"), Send("w", b"C1", b"3"),
         Send("s", b"k", b"4", partition=2), Send("w", b"C2", b"5")]
SOURCE = TopicPartition("src", 0)


def test_all_committed_with_their_offsets_in_order_and_the_source_offset():
    fake = FakeProducer()
    acked = commit(fake, SENDS, {SOURCE: 8})
    p1 = DefaultPartitioner()(b"C1", [0, 1, 2], [0, 1, 2])
    p2 = DefaultPartitioner()(b"C2", [0, 1, 2], [0, 1, 2])
    assert acked[:3] == [(p1, 0), (p1, 1), (p1, 2)]  # one case: one partition, in order
    assert acked[3] == (2, 0)  # an explicit partition is kept
    assert acked[4][0] == p2
    assert [v for _, v in fake.logs[("w", p1)]] == [b"1", b"2", b"3"]
    assert fake.offsets == {("grp", SOURCE): 8}


def test_a_failed_transaction_is_aborted_and_tried_again_whole():
    fake = FakeProducer(fail=1, error=KafkaTimeoutError("no ack"))
    commit(fake, SENDS, {SOURCE: 8})
    p1 = DefaultPartitioner()(b"C1", [0, 1, 2], [0, 1, 2])
    assert [v for _, v in fake.logs[("w", p1)]] == [b"1", b"2", b"3"]  # once: no copies
    assert (fake.transactions, fake.aborts) == (2, 1)


def test_gives_up_after_the_retries():
    fake = FakeProducer(fail=10, error=KafkaTimeoutError("no ack"))
    with pytest.raises(OutputsFailed, match="not committed after 3 tries"):
        commit(fake, SENDS)
    assert fake.transactions == 3 and not any(fake.logs.values())


def test_a_transaction_that_cannot_be_aborted_stops_at_once():
    fake = FakeProducer(fail=1, error=KafkaTimeoutError("no ack"),
                        abort_error=KafkaTimeoutError("coordinator away"))
    with pytest.raises(OutputsFailed, match="could not be aborted"):
        commit(fake, SENDS)
    assert fake.transactions == 1


def test_a_producer_that_never_answers_stops_the_worker_instead_of_hanging_it():
    fake = StuckProducer()
    with pytest.raises(OutputsFailed, match="did not end within 0.1 s"):
        commit(fake, SENDS, {SOURCE: 8}, timeout=0.1)
    assert fake.transactions == 1 and not any(fake.logs.values()) and fake.offsets == {}


def test_an_abort_that_never_ends_stops_the_worker_too():
    class FailsThenStuck(StuckProducer):
        async def commit_transaction(self):
            raise KafkaTimeoutError("no ack")

    fake = FailsThenStuck()
    with pytest.raises(OutputsFailed, match="could not be aborted"):
        commit(fake, SENDS, timeout=0.1)
    assert (fake.transactions, fake.aborts) == (1, 1)


def test_a_fenced_producer_raises_fenced_and_writes_nothing():
    fake = FakeProducer(fail=1, error=ProducerFenced())
    with pytest.raises(Fenced):
        commit(fake, SENDS, {SOURCE: 8})
    assert fake.transactions == 1 and not any(fake.logs.values()) and fake.offsets == {}


def test_a_message_larger_than_a_batch_is_an_error_not_a_loop():
    with pytest.raises(OutputsFailed, match="does not fit a batch"):
        commit(FakeProducer(capacity=0), [Send("w", b"C1", b"x")], retries=0)


def test_the_transactional_id_is_the_app_and_the_partition():
    assert transactional_id(Settings(app_id="cw"), 3) == "cw-3"
