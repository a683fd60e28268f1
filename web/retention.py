"""Retention of the access log in ClickHouse (CASEWATCH_WEB_ACCESS_LOG_RETENTION_DAYS,
at least 180: 网络日志留存不少于六个月). The table is partitioned by month; a month is
dropped once its last day is older than the retention. ClickHouse 18.16 has no TTL, so the
console does it, every few hours."""

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta

from sinks.clickhouse.migrate import check_identifier

log = logging.getLogger(__name__)
EVERY_SECONDS = 6 * 3600


def expired_partitions(partitions: list[str], today: date, days: int) -> list[str]:
    """The month partitions (YYYYMM) whose every day is more than `days` before `today`."""
    cutoff = today - timedelta(days=days)
    out = []
    for p in partitions:
        if len(p) != 6 or not p.isdigit():
            continue
        year, month = int(p[:4]), int(p[4:])
        if not 1 <= month <= 12:
            continue
        first_of_next = date(year + month // 12, month % 12 + 1, 1)
        if first_of_next <= cutoff:
            out.append(p)
    return out


def drop_statements(db: str, partitions: list[str], cluster: str | None = None) -> list[str]:
    on = f" ON CLUSTER {check_identifier(cluster)}" if cluster else ""
    return [f"ALTER TABLE {check_identifier(db)}.access_log{on} DROP PARTITION {p}"
            for p in partitions]


def apply(execute, db: str, days: int, today: date, cluster: str | None = None) -> list[str]:
    """Drop the expired months of `db.access_log`; the partitions dropped."""
    rows = execute("SELECT DISTINCT partition FROM system.parts WHERE database = %(db)s AND "
                   "table = 'access_log' AND active", {"db": db})
    expired = expired_partitions([str(r[0]) for r in rows], today, days)
    for statement in drop_statements(db, expired, cluster):
        execute(statement)
        log.info("access log retention: %s", statement)
    return expired


async def keep(reader, days: int, cluster: str | None = None) -> None:
    """Drop expired months of `access_log` now and every EVERY_SECONDS."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(None, apply, reader.execute_sync, reader.db, days,
                                       datetime.now(UTC).date(), cluster)
        except Exception as exc:  # noqa: BLE001  ClickHouse away: next round
            log.warning("access log retention not applied: %s", exc)
        await asyncio.sleep(EVERY_SECONDS)
