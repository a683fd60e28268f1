"""streams.outputs: a job's messages are all acknowledged, or the job fails, never half;
keyed messages go where Kafka's default partitioner puts them, in order."""

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.partitioner import DefaultPartitioner

from streams.outputs import Outputs, OutputsFailed
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
    """A log per topic-partition; the first `fail_rounds` rounds fail on their second batch
    (its ack, or the send itself)."""

    def __init__(self, fail_rounds: int = 0, fail_on_send: bool = False, capacity: int = 2):
        self.fail_rounds, self.fail_on_send, self.capacity = fail_rounds, fail_on_send, capacity
        self.logs: dict[tuple[str, int], list[tuple]] = {}
        self.in_round = False
        self.sent_in_round = 0
        self.rounds = 0

    async def partitions_for(self, topic):
        return {0, 1, 2}

    def create_batch(self):
        if not self.in_round:
            self.in_round, self.sent_in_round = True, 0
            self.rounds += 1
        return Batch(self.capacity)

    async def send_batch(self, batch, topic, *, partition):
        fut = asyncio.get_running_loop().create_future()
        self.sent_in_round += 1
        failing = self.rounds <= self.fail_rounds and self.sent_in_round == 2
        if failing and self.fail_on_send:
            raise KafkaTimeoutError("buffer full")
        log = self.logs.setdefault((topic, partition), [])
        fut.set_result(type("Meta", (), {"offset": len(log)})())
        log.extend(batch.records)
        if failing:
            fut = asyncio.get_running_loop().create_future()
            fut.set_exception(KafkaTimeoutError("no ack"))
        return fut

    def end_round(self):
        self.in_round = False


def send_all(producer: FakeProducer, sends, retries=2):
    async def go():
        outputs = Outputs(producer, retries=retries, backoff=0)
        original = outputs._round

        async def round_(s):
            try:
                return await original(s)
            finally:
                producer.end_round()

        outputs._round = round_
        return await outputs.send_all(sends)

    return asyncio.run(go())


SENDS = [Send("w", b"C1", b"1"), Send("w", b"C1", b"2"), Send("w", b"C1", b"3"),
         Send("s", b"k", b"4", partition=2), Send("w", b"C2", b"5")]


def test_all_acknowledged_with_their_offsets_in_order():
    producer = FakeProducer()
    acked = send_all(producer, SENDS)
    p1 = DefaultPartitioner()(b"C1", [0, 1, 2], [0, 1, 2])
    p2 = DefaultPartitioner()(b"C2", [0, 1, 2], [0, 1, 2])
    assert acked[:3] == [(p1, 0), (p1, 1), (p1, 2)]  # one case: one partition, in order
    assert acked[3] == (2, 0)  # an explicit partition is kept
    assert acked[4][0] == p2
    assert [v for _, v in producer.logs[("w", p1)]] == [b"1", b"2", b"3"]


@pytest.mark.parametrize("on_send", [False, True], ids=["ack fails", "send raises"])
def test_a_failed_round_sends_the_whole_job_again_in_order(on_send):
    producer = FakeProducer(fail_rounds=1, fail_on_send=on_send)
    send_all(producer, SENDS)
    p1 = DefaultPartitioner()(b"C1", [0, 1, 2], [0, 1, 2])
    values = [v for _, v in producer.logs[("w", p1)]]
    assert values[-3:] == [b"1", b"2", b"3"]  # the last copy of each is in order
    assert producer.rounds == 2


def test_gives_up_after_the_retries():
    producer = FakeProducer(fail_rounds=10)
    with pytest.raises(OutputsFailed, match="not acknowledged after 3 tries"):
        send_all(producer, SENDS)
    assert producer.rounds == 3


def test_a_message_larger_than_a_batch_is_an_error_not_a_loop():
    producer = FakeProducer(capacity=0)
    with pytest.raises(OutputsFailed, match="does not fit a batch"):
        send_all(producer, [Send("w", b"C1", b"x")], retries=0)
