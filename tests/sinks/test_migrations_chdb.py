"""Migrations, retry-safe writes and read queries on current ClickHouse, via chDB."""

import pytest

from sinks.clickhouse.batch import Batch, FlushError
from sinks.clickhouse.migrate import applied_migrations, load_migrations, migrate
from sinks.clickhouse.rows import COLUMNS, WARNING_HISTORY
from tests.support.clickhouse_scenario import EXPECTED, later, observe, scenario_rows

pytest.importorskip("chdb")

from sinks.clickhouse.embedded import Embedded  # noqa: E402

DB = "casewatch"


@pytest.fixture
def ch(tmp_path):
    embedded = Embedded(str(tmp_path / "chdb"))
    yield embedded
    embedded.close()


def test_migrate_is_idempotent_and_records_each_migration(ch):
    ids = [m.id for m in load_migrations()]
    assert migrate(ch.execute, DB) == ids
    assert migrate(ch.execute, DB) == []
    assert applied_migrations(ch.execute, DB) == ids


def test_tables_have_the_columns_rows_produce(ch):
    migrate(ch.execute, DB)
    for table, columns in COLUMNS.items():
        assert tuple(ch.column_types(f"{DB}.{table}")) == columns


def test_rows_written_again_count_once(ch):
    migrate(ch.execute, DB)
    batch = Batch(ch, db=DB)
    # first write, a retried batch with identical rows, and a replay at a later wall time
    for emitted_at in (None, None, later()):
        for table, row, partition, offset in scenario_rows(*filter(None, [emitted_at])):
            batch.add("scenario", partition, offset, [(table, row)])
        assert batch.flush() == {("scenario", 0): 2, ("scenario", 1): 4, ("scenario", 2): 12}
    assert observe(ch.execute, DB) == EXPECTED
    raw = ch.execute(f"SELECT count() FROM {DB}.warning_history")[0][0]
    assert int(raw) > EXPECTED["rows"]["warning_history"]  # copies exist; reads collapse them


def test_wrong_type_is_rejected_clearly_and_buffer_kept(ch):
    migrate(ch.execute, DB)
    batch = Batch(ch, db=DB)
    table, row, partition, offset = next(r for r in scenario_rows() if r[0] == WARNING_HISTORY)
    late = COLUMNS[WARNING_HISTORY].index("late")
    bad = row[:late] + ("x",) + row[late + 1 :]
    batch.add("scenario", partition, offset, [(table, bad)])
    with pytest.raises(FlushError, match=r"warning_history.*'late' \(Nullable\(UInt8\)\).*'x'"):
        batch.flush()
    assert len(batch) == 1
    assert ch.execute(f"SELECT count() FROM {DB}.warning_history")[0][0] in (0, "0")


def test_the_catalogue_version_column_is_added_to_existing_history(ch):
    from tests.support.version_upgrade import check_upgrade

    check_upgrade(ch, DB)
