"""ClickHouse insert benchmark: clickhouse_driver row-wise against columnar (`columnar=True`).

Inserts the rows of N warnings and N case-rows messages (built by the sink's decoders, so
the same rows the sink writes) into a scratch database on the local server, alternating
the two ways, and reports the median rows/s of each. The columnar time includes turning
rows into columns. Needs the local stack (deploy/stack start); figures go to
docs/benchmarks.md.

    .venv/bin/python bench/sink_insert_bench.py [--records 20000] [--rounds 5]
"""

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from sinks.clickhouse.client import ClickHouse, Settings  # noqa: E402
from sinks.clickhouse.migrate import migrate  # noqa: E402
from sinks.clickhouse.rows import COLUMNS  # noqa: E402
from sinks.decode import case_rows_message, warning_message  # noqa: E402
from tests.integration.test_sink_process import case_rows, warning  # noqa: E402


def rows_by_table(n: int) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
    for i in range(n):
        for table, row in warning_message(warning(i)) + case_rows_message(case_rows(i)):
            out[table].append(row)
    return out


def insert(ch: ClickHouse, db: str, tables: dict[str, list[tuple]], columnar: bool) -> float:
    started = time.perf_counter()
    for table, rows in tables.items():
        sql = f"INSERT INTO {db}.{table} ({', '.join(COLUMNS[table])}) VALUES"
        data = [list(column) for column in zip(*rows, strict=True)] if columnar else rows
        ch.client.execute(sql, data, types_check=True, columnar=columnar)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ch = ClickHouse(Settings.from_env())
    db = f"bench_{uuid.uuid4().hex[:6]}"
    migrate(ch.execute, db)
    tables = rows_by_table(args.records)
    total = sum(len(rows) for rows in tables.values())
    times: dict[bool, list[float]] = {False: [], True: []}
    try:
        insert(ch, db, tables, False)  # warm-up
        for _ in range(args.rounds):
            for columnar in (False, True):
                times[columnar].append(insert(ch, db, tables, columnar))
    finally:
        ch.execute(f"DROP DATABASE IF EXISTS {db}")
    version = ch.execute("SELECT version()")[0][0]
    rates = {c: total / statistics.median(t) for c, t in times.items()}
    body = (
        f"Measured by `bench/sink_insert_bench.py --records {args.records} --rounds "
        f"{args.rounds}` on ClickHouse {version}: {total} rows per round (events, "
        "warning_history, measure_state; one insert per table), median of the rounds.\n\n"
        "| insert | rows/s |\n|---|---|\n"
        f"| row-wise (`VALUES` with a list of tuples) | {rates[False]:,.0f} |\n"
        f"| columnar (`columnar=True`, transposition included) | {rates[True]:,.0f} |\n\n"
        f"Columnar / row-wise: {rates[True] / rates[False]:.2f}.\n"
    )
    print(body)
    write_section("ClickHouse inserts", body)


if __name__ == "__main__":
    main()
