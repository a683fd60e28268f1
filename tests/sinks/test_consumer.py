"""sinks.consumer.SinkConsumer with an in-memory consumer: commits, holds, rebalances."""

import asyncio
from collections import namedtuple

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError

from sinks.base import Rejected
from sinks.clickhouse.batch import Batch
from sinks.clickhouse.rows import WARNING_HISTORY
from sinks.consumer import SinkConsumer
from tests.support.clickhouse_scenario import scenario_rows

Record = namedtuple("Record", "topic partition offset key value")
ROW = next(row for table, row, _, _ in scenario_rows() if table == WARNING_HISTORY)
A, B = TopicPartition("w", 0), TopicPartition("w", 1)


def decode(value: bytes, offset: int):
    if value == b"half":  # two rows, the second cannot be written
        return [(WARNING_HISTORY, ROW), Rejected("row 2 does not fit", b'{"row": 2}')]
    if value != b"ok":
        raise ValueError("not ok")
    return [(WARNING_HISTORY, ROW)]


def records(tp, offsets, value=b"ok"):
    return [Record(tp.topic, tp.partition, o, b"k", value) for o in offsets]


class Writer:
    def __init__(self):
        self.up = True
        self.rows = 0

    def insert(self, table, columns, rows):
        if not self.up:
            raise ConnectionError("ClickHouse down")
        self.rows += len(rows)


class Consumer:
    """Hands out scripted fetches; a step may also be a coroutine function run at that poll."""

    def __init__(self, script, assigned=(A, B)):
        self.script = list(script)
        self.assigned = set(assigned)
        self.paused_tps: set = set()
        self.commits: list[dict] = []
        self.commit_error: Exception | None = None
        self.listener = None
        self.done = asyncio.Event()
        self.positions: dict = {}
        self.markers = 0  # transaction markers after each returned batch (skipped by reads)
        self.joined = False

    def subscribe(self, topics, listener):
        self.listener = listener

    async def getmany(self, timeout_ms, max_records):
        await asyncio.sleep(0)
        if not self.joined:  # the first poll joins the group, as aiokafka's does
            self.joined = True
            await self.listener.on_partitions_assigned(set(self.assigned))
        while self.script:
            step = self.script.pop(0)
            if callable(step):
                await step(self)
                continue
            held = {tp: recs for tp, recs in step.items() if tp in self.paused_tps}
            if held:  # a paused partition's records come once it is resumed
                self.script.insert(0, held)
            out = {tp: recs for tp, recs in step.items()
                   if tp in self.assigned and tp not in self.paused_tps}
            for tp, recs in out.items():
                if recs:
                    self.positions[tp] = recs[-1].offset + 1 + self.markers
            return out
        self.done.set()
        await asyncio.sleep(0.01)
        return {}

    def assignment(self):
        return set(self.assigned)

    async def position(self, tp):
        return self.positions.get(tp, 0)

    def pause(self, *tps):
        self.paused_tps.update(tps)

    def resume(self, *tps):
        self.paused_tps.difference_update(tps)

    def paused(self):
        return set(self.paused_tps)

    async def commit(self, offsets):
        if self.commit_error is not None:
            error, self.commit_error = self.commit_error, None
            raise error
        self.commits.append(dict(offsets))

    async def end_offsets(self, tps):
        return {tp: 0 for tp in tps}

    async def committed(self, tp):
        return None


def run(consumer, writer, until=None):
    letters = []

    async def dead_letter(record, reason, value):
        letters.append((record.partition, record.offset, reason)
                       + (() if value is record.value else (value,)))

    async def scenario():
        sink = SinkConsumer(consumer, Batch(writer, max_age=0.0), {"w": decode}, dead_letter,
                            max_backoff=0.02)
        stopping = asyncio.Event()
        task = asyncio.create_task(sink.run(stopping))
        await asyncio.wait_for((until or consumer.done.wait)(), 5)
        await asyncio.sleep(0.05)
        stopping.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    return letters


def committed(consumer) -> dict:
    out = {}
    for commit in consumer.commits:
        out.update(commit)
    return out


def test_written_records_are_committed_and_unreadable_ones_dead_lettered():
    consumer = Consumer([{A: records(A, [0, 1]) + records(A, [2], b"bad"),
                          B: records(B, [0])}])
    writer = Writer()
    letters = run(consumer, writer)
    assert writer.rows == 3
    assert letters == [(0, 2, "sink cannot read the record: not ok")]
    assert committed(consumer) == {A: 3, B: 1}


def test_a_row_that_cannot_be_written_is_dead_lettered_alone():
    consumer = Consumer([{A: records(A, [0]) + records(A, [1], b"half") + records(A, [2])}])
    writer = Writer()
    letters = run(consumer, writer)
    assert writer.rows == 3  # the record's other row too
    assert letters == [(0, 1, "row 2 does not fit", b'{"row": 2}')]
    assert committed(consumer) == {A: 3}


def test_nothing_is_committed_while_clickhouse_is_down_and_partitions_are_paused():
    writer = Writer()
    writer.up = False
    seen = {}

    async def look(c):
        seen["paused"], seen["commits"] = c.paused(), list(c.commits)

    async def recover(c):
        writer.up = True

    consumer = Consumer([{A: records(A, [0]), B: records(B, [0, 1])}, look, look, recover])
    run(consumer, writer)
    assert seen == {"paused": {A, B}, "commits": []}
    assert writer.rows == 3 and committed(consumer) == {A: 1, B: 2}
    assert consumer.paused() == set()


def test_a_rebalance_while_holding_drops_the_revoked_rows_and_pauses_new_partitions():
    writer = Writer()
    writer.up = False
    C = TopicPartition("w", 2)
    seen = {}

    async def rebalance(c):  # B goes to another member, C comes to us, A stays
        await c.listener.on_partitions_revoked({A, B})
        c.assigned, c.paused_tps = {A, C}, set()  # a new assignment starts unpaused
        await c.listener.on_partitions_assigned({A, C})
        seen["paused"] = c.paused()

    async def recover(c):
        writer.up = True

    # after the rebalance A and C are read again from their committed offsets
    consumer = Consumer([{A: records(A, [0]), B: records(B, [0, 1])}, rebalance, recover,
                         {A: records(A, [0]), C: records(C, [0])}])
    run(consumer, writer)
    assert seen["paused"] == {A, C}
    assert writer.rows == 2  # A's first copy and B's rows were dropped, never written
    assert committed(consumer) == {A: 1, C: 1}


def test_records_returned_while_holding_are_kept():
    writer = Writer()
    writer.up = False

    async def unpause(c):  # as if a rebalance handed the partition back unpaused
        c.paused_tps.clear()

    async def recover(c):
        writer.up = True

    consumer = Consumer([{A: records(A, [0])}, unpause, {A: records(A, [1, 2])}, recover])
    run(consumer, writer)
    assert writer.rows == 3 and committed(consumer) == {A: 3}


def test_a_commit_refused_after_a_rebalance_is_logged_and_the_sink_goes_on(caplog):
    writer = Writer()

    async def refuse(c):
        c.commit_error = CommitFailedError("rebalanced")

    consumer = Consumer([refuse, {A: records(A, [0])}, {A: records(A, [1])}])
    run(consumer, writer)
    assert "commit after a rebalance refused" in caplog.text
    assert writer.rows == 2 and committed(consumer) == {A: 2}


def test_a_partition_read_to_its_end_is_committed_past_the_transaction_markers():
    """The worker writes in transactions: a commit marker follows each transaction's
    records, and a partition whose position is past it must show no lag."""
    consumer = Consumer([{A: records(A, [0, 1]), B: records(B, [0])}])
    consumer.markers = 1
    run(consumer, Writer())
    assert committed(consumer) == {A: 3, B: 2}


def test_nothing_is_committed_between_a_revocation_and_the_next_assignment():
    """After a revocation dropped the rows held, the next write has nothing to write and
    succeeds even with ClickHouse down; the positions the consumer still reports until the
    new assignment are past the dropped rows and must not be committed (seen on the real
    stack: 4,833 rows never written, no lag)."""
    writer = Writer()
    writer.up = False
    seen = {}

    async def revoke(c):  # the group rebalances: revoked now, assigned after a while
        await c.listener.on_partitions_revoked({A, B})

    async def assign(c):
        seen["commits while down"] = list(c.commits)
        c.positions = {}  # a new assignment starts from the committed offsets
        c.assigned, c.paused_tps = {A, B}, set()
        await c.listener.on_partitions_assigned({A, B})

    async def recover(c):
        writer.up = True

    consumer = Consumer([{A: records(A, [0]), B: records(B, [0, 1])}, revoke, {}, {},
                         assign, recover, {A: records(A, [0]), B: records(B, [0, 1])}])
    run(consumer, writer)
    assert seen["commits while down"] == []
    assert writer.rows == 3 and committed(consumer) == {A: 1, B: 2}
