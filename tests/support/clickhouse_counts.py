"""ClickHouse counts for assertions: rows against distinct keys, after merging."""

import time

#: Each table's collapsing key (its ORDER BY, sinks/migrations/).
TABLE_KEYS = {
    "events": "case_id, event_id",
    "warning_history": "warning_id, changed_at, level, status",
    "measure_state": "case_id, person_id, measure",
    "warnings_hourly": "hour, unit_id, rule_id, level, status",
}


def rows_and_keys(client, db: str) -> dict[str, tuple[int, int]]:
    """(rows, distinct keys) per table after `OPTIMIZE TABLE … FINAL`, retried a few times
    because ClickHouse skips the merge while another one runs on the same parts."""
    out = {}
    for table, key in TABLE_KEYS.items():
        for _ in range(5):
            client.execute(f"OPTIMIZE TABLE {db}.{table} FINAL")
            [(rows, keys)] = client.execute(
                f"SELECT count(), uniqExact({key}) FROM {db}.{table}")
            if rows == keys:
                break
            time.sleep(1)
        out[table] = (rows, keys)
    return out


def distinct(client, db: str, column: str, table: str) -> int:
    [(n,)] = client.execute(f"SELECT uniqExact({column}) FROM {db}.{table}")
    return n


def wait_available(client, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.execute("SELECT 1")
            return
        except Exception:  # noqa: BLE001  still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
