"""sinks.clickhouse.batch: the sink contract — buffering, offsets, failed writes, revoked
partitions."""

import pytest

from sinks.base import Sink
from sinks.clickhouse.batch import Batch, FlushError
from sinks.clickhouse.rows import EVENTS, MEASURE_STATE, WARNING_HISTORY
from tests.support.clickhouse_scenario import scenario_rows

OFFSETS = {("scenario", 0): 2, ("scenario", 1): 4, ("scenario", 2): 12}


class FakeWriter:
    def __init__(self, fail_on: str | None = None):
        self.fail_on = fail_on
        self.inserts: list[tuple[str, int]] = []

    def insert(self, table, columns, rows):
        if table.endswith("." + str(self.fail_on)):
            raise ConnectionError("server went away")
        self.inserts.append((table, len(rows)))


def filled(writer, **kw) -> Batch:
    batch = Batch(writer, **kw)
    for table, row, partition, offset in scenario_rows():
        batch.add("scenario", partition, offset, [(table, row)])
    return batch


def test_batch_is_a_sink():
    assert isinstance(Batch(FakeWriter()), Sink)


def test_flush_writes_one_insert_per_table_and_returns_highest_offsets():
    written = []
    writer = FakeWriter()
    batch = filled(writer, on_written=lambda table, n: written.append((table, n)))
    assert batch.flush() == OFFSETS
    assert writer.inserts == [
        ("casewatch.events", 3),
        ("casewatch.warning_history", 5),
        ("casewatch.measure_state", 4),
    ]
    assert written == [(EVENTS, 3), (WARNING_HISTORY, 5), (MEASURE_STATE, 4)]
    assert len(batch) == 0 and not batch.pending() and batch.flush() == {}


def test_one_insert_per_table_across_partitions_and_topics():
    writer = FakeWriter()
    batch = Batch(writer)
    rows = [r for r in scenario_rows() if r[0] == WARNING_HISTORY]
    for i, (table, row, _, _) in enumerate(rows):
        batch.add(f"topic{i % 2}", i % 3, 100 + i, [(table, row)])
    assert batch.flush() == {("topic0", 0): 100, ("topic1", 1): 101, ("topic0", 2): 102,
                             ("topic1", 0): 103, ("topic0", 1): 104}
    assert writer.inserts == [("casewatch.warning_history", 5)]


def test_failed_flush_raises_and_keeps_unwritten_rows_and_offsets():
    writer = FakeWriter(fail_on=WARNING_HISTORY)
    batch = filled(writer)
    with pytest.raises(FlushError, match="warning_history.*server went away"):
        batch.flush()
    assert len(batch) == 5 + 4  # events were written; the rest waits
    assert batch.pending()
    writer.fail_on = None
    assert batch.flush() == OFFSETS
    assert [t for t, _ in writer.inserts] == [
        "casewatch.events",
        "casewatch.warning_history",
        "casewatch.measure_state",
    ]


def test_a_record_without_rows_still_counts_its_offset():
    batch = Batch(FakeWriter())
    batch.add("warnings", 3, 17, [])  # e.g. dead-lettered
    assert batch.pending() and len(batch) == 0
    assert batch.flush() == {("warnings", 3): 17}


def test_revoke_drops_the_rows_and_offsets_of_those_partitions_only():
    writer = FakeWriter()
    batch = filled(writer)
    batch.revoke([("scenario", 1), ("scenario", 7)])  # 7: nothing buffered, no error
    assert batch.flush() == {("scenario", 0): 2, ("scenario", 2): 12}
    assert writer.inserts == [("casewatch.events", 3), ("casewatch.measure_state", 4)]


def test_revoke_after_a_failed_flush_keeps_the_others_for_the_retry():
    writer = FakeWriter(fail_on=EVENTS)
    batch = filled(writer)
    with pytest.raises(FlushError):
        batch.flush()
    batch.revoke([("scenario", 0), ("scenario", 2)])
    assert len(batch) == 5
    writer.fail_on = None
    assert batch.flush() == {("scenario", 1): 4}
    assert writer.inserts == [("casewatch.warning_history", 5)]


def test_revoking_everything_resets_the_age():
    now = [100.0]
    batch = Batch(FakeWriter(), max_age=5.0, clock=lambda: now[0])
    batch.add("t", 0, 1, [])
    batch.revoke([("t", 0)])
    now[0] += 10
    assert not batch.pending() and not batch.should_flush()


def test_should_flush_by_rows_and_by_age():
    now = [100.0]
    batch = Batch(FakeWriter(), max_rows=3, max_age=5.0, clock=lambda: now[0])
    assert not batch.should_flush()
    rows = scenario_rows()
    for table, row, partition, offset in rows[:2]:
        batch.add("scenario", partition, offset, [(table, row)])
    assert not batch.should_flush()
    now[0] += 5.0
    assert batch.should_flush()
    batch.flush()
    for table, row, partition, offset in rows[:3]:
        batch.add("scenario", partition, offset, [(table, row)])
    assert batch.should_flush()


def test_add_rejects_unknown_table_and_wrong_arity_and_keeps_nothing_of_the_record():
    batch = Batch(FakeWriter())
    (table, row, _, _), *_ = scenario_rows()
    with pytest.raises(KeyError, match="unknown table"):
        batch.add("t", 0, 0, [(table, row), ("nope", (1,))])
    with pytest.raises(ValueError, match="measure_state row has 2 values"):
        batch.add("t", 0, 0, [(MEASURE_STATE, ("a", "b"))])
    assert len(batch) == 0 and not batch.pending() and not batch.should_flush()
