"""streams.outputs: a job's messages are all acknowledged, or the job fails, never half."""

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError

from streams.outputs import Outputs, OutputsFailed
from streams.work import Send


class FakeProducer:
    """Acknowledges every send, except in the first `fail_rounds` rounds of a 3-message
    job, where the second message fails (its ack, or the send itself)."""

    def __init__(self, fail_rounds: int = 0, fail_on_send: bool = False):
        self.fail_rounds = fail_rounds
        self.fail_on_send = fail_on_send
        self.sent: list[tuple[str, bytes]] = []
        self.calls = 0

    @property
    def rounds(self) -> int:
        return -(-self.calls // 3)

    async def send(self, topic, value, key=None, partition=None):
        fut = asyncio.get_running_loop().create_future()
        failing = self.calls // 3 < self.fail_rounds and self.calls % 3 == 1
        if failing and self.fail_on_send:
            self.calls += 2  # the round ends here
            raise KafkaTimeoutError("buffer full")
        self.calls += 1
        self.sent.append((topic, value))
        if failing:
            fut.set_exception(KafkaTimeoutError("no ack"))
        else:
            fut.set_result((topic, len(self.sent)))
        return fut


SENDS = [Send("w", None, b"1"), Send("w", None, b"2"), Send("r", None, b"3")]


def test_all_acknowledged_first_time():
    producer = FakeProducer()
    result = asyncio.run(Outputs(producer, retries=2, backoff=0).send_all(SENDS))
    assert result == [("w", 1), ("w", 2), ("r", 3)]
    assert [v for _, v in producer.sent] == [b"1", b"2", b"3"]


@pytest.mark.parametrize("on_send", [False, True], ids=["ack fails", "send raises"])
def test_a_failed_round_sends_the_whole_job_again_in_order(on_send):
    producer = FakeProducer(fail_rounds=1, fail_on_send=on_send)
    asyncio.run(Outputs(producer, retries=2, backoff=0).send_all(SENDS))
    values = [v for _, v in producer.sent]
    assert values[-3:] == [b"1", b"2", b"3"]  # the last copy of each is in order


def test_gives_up_after_the_retries_without_partial_success():
    producer = FakeProducer(fail_rounds=10)
    with pytest.raises(OutputsFailed, match="not acknowledged after 3 tries"):
        asyncio.run(Outputs(producer, retries=2, backoff=0).send_all(SENDS))
    assert producer.rounds == 3
