"""sinks.batch: buffering, thresholds, offsets, and keeping rows when a write fails."""

import pytest

from sinks.batch import Batch, FlushError
from sinks.rows import MEASURE_STATE, WARNING_HISTORY
from sinks.testing import scenario_rows


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
        batch.add(table, row, partition, offset)
    return batch


def test_flush_writes_one_insert_per_table_and_returns_highest_offsets():
    writer = FakeWriter()
    batch = filled(writer)
    assert batch.flush() == {0: 2, 1: 4, 2: 12}
    assert writer.inserts == [
        ("casewatch.events", 3),
        ("casewatch.warning_history", 5),
        ("casewatch.measure_state", 4),
    ]
    assert len(batch) == 0 and batch.flush() == {}


def test_failed_flush_raises_and_keeps_unwritten_rows_and_offsets():
    writer = FakeWriter(fail_on=WARNING_HISTORY)
    batch = filled(writer)
    with pytest.raises(FlushError, match="warning_history.*server went away"):
        batch.flush()
    assert len(batch) == 5 + 4  # events were written; the rest waits
    writer.fail_on = None
    assert batch.flush() == {0: 2, 1: 4, 2: 12}
    assert [t for t, _ in writer.inserts] == [
        "casewatch.events",
        "casewatch.warning_history",
        "casewatch.measure_state",
    ]


def test_should_flush_by_rows_and_by_age():
    now = [100.0]
    batch = Batch(FakeWriter(), max_rows=3, max_age=5.0, clock=lambda: now[0])
    assert not batch.should_flush()
    rows = scenario_rows()
    for table, row, partition, offset in rows[:2]:
        batch.add(table, row, partition, offset)
    assert not batch.should_flush()
    now[0] += 5.0
    assert batch.should_flush()
    batch.flush()
    for table, row, partition, offset in rows[:3]:
        batch.add(table, row, partition, offset)
    assert batch.should_flush()


def test_add_rejects_unknown_table_and_wrong_arity():
    batch = Batch(FakeWriter())
    with pytest.raises(KeyError, match="unknown table"):
        batch.add("nope", (1,), 0, 0)
    with pytest.raises(ValueError, match="measure_state row has 2 values"):
        batch.add(MEASURE_STATE, ("a", "b"), 0, 0)
    assert len(batch) == 0 and not batch.should_flush()
