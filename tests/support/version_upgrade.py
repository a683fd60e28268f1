"""Migration 0008 on a database that already holds warnings: the rows written before read
`catalogue_version = ''`, the rows written after keep theirs, and the latest state of a
warning (argMax by offset) carries its version. For any ClickHouse: a server or chDB."""

from datetime import datetime

from schemas.timefmt import CST
from schemas.warning import Warning
from sinks.clickhouse.migrate import load_migrations, migrate
from sinks.clickhouse.rows import WARNING_COLUMNS, WARNING_HISTORY, warning_row

VERSION = "2026.12-1 (sha256:" + "ab" * 32 + ")"
EMITTED = datetime(2026, 12, 1, 9, 0, tzinfo=CST)


def _warning(level: str, changed_hour: int, version: str) -> Warning:
    return Warning(
        warning_id="W-upgrade", rule_id="det_family_notice", rule_kind="statutory",
        level=level, status="open", late=None, case_id="C1", person_id="P1", unit_id="U3301",
        due_at=datetime(2026, 12, 1, 12, 0, tzinfo=CST), resolved_at=None,
        changed_at=datetime(2026, 12, 1, changed_hour, 0, tzinfo=CST), evidence=["E1"],
        basis=[], message_zh="…", message_en="…", catalogue_version=version)


def check_upgrade(ch, db: str) -> None:
    """`ch`: an object with `execute(sql)` and `insert(table, columns, rows)`."""
    before = [m for m in load_migrations() if m.id < "0008"]
    migrate(ch.execute, db, before)
    old = warning_row(_warning("approaching", 8, ""), emitted_at=EMITTED, kafka_offset=1)
    ch.insert(f"{db}.{WARNING_HISTORY}", WARNING_COLUMNS[:-1], [old[:-1]])
    assert "0008_warning_history_catalogue_version" in migrate(ch.execute, db)
    new = warning_row(_warning("overdue", 12, VERSION), emitted_at=EMITTED, kafka_offset=2)
    ch.insert(f"{db}.{WARNING_HISTORY}", WARNING_COLUMNS, [new])
    rows = ch.execute(f"SELECT level, catalogue_version FROM {db}.{WARNING_HISTORY} FINAL "
                      "ORDER BY kafka_offset")
    assert [tuple(r) for r in rows] == [("approaching", ""), ("overdue", VERSION)]
    latest = ch.execute(
        "SELECT argMax(catalogue_version, (kafka_offset, emitted_at, changed_at)) "
        f"FROM {db}.{WARNING_HISTORY} GROUP BY warning_id")
    assert [tuple(r) for r in latest] == [(VERSION,)]
