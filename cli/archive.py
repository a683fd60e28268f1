"""The event archive in ClickHouse (`events`, docs/clickhouse.md) as a source of cases,
read as the read-only user: every event that occurred by an instant, grouped by case in
case order, each as its message exactly as received.

ClickHouse sorts (spilling to disk past `EXTERNAL_SORT_BYTES`) and the rows are streamed in
blocks, so neither side holds the archive. A copy written twice (a retried insert) comes
twice; the replay takes it as the repeat it is.
"""

import multiprocessing
from collections.abc import Iterator
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from cli.case_events import Selection, case_events, selected
from cli.progress import Progress
from cli.replay import Replay, Work
from cli.runs import RunWriter, write_run
from sinks.clickhouse.migrate import check_identifier

EXTERNAL_SORT_BYTES = 500_000_000
BLOCK_ROWS = 20_000


Case = tuple[str, list[tuple[str, str, str]]]  # case_id, [(event_id, event_type, body)]


def archive_query(database: str, until: datetime) -> tuple[str, dict]:
    """The query (SQL for ClickHouse 18.16 and current) and its parameters."""
    sql = (f"SELECT case_id, event_id, event_type, body FROM {check_identifier(database)}"
           ".events WHERE occurred_at <= toDateTime(%(until)s) ORDER BY case_id, event_id")
    return sql, {"until": int(until.timestamp())}


def archive_cases(client, database: str, until: datetime) -> Iterator[Case]:
    """Every case that has an event by `until`, in case order; `client` is a
    clickhouse_driver Client."""
    sql, params = archive_query(database, until)
    return by_case(client.execute_iter(sql, params, settings={
        "max_block_size": BLOCK_ROWS, "max_bytes_before_external_sort": EXTERNAL_SORT_BYTES}))


def by_case(rows) -> Iterator[Case]:
    """The query's rows grouped by case."""
    for case_id, group in groupby(rows, key=itemgetter(0)):
        yield case_id, [tuple(row[1:]) for row in group]


GROUPS_PER_TASK = 256  # cases sent to a worker process at a time

_WORK: tuple[Work, Selection | None, datetime] | None = None  # set before the workers fork


def replay_archive(cases: Iterator[Case], now: datetime, work: Work, workdir: Path, jobs: int,
                   selection: Selection | None = None, label: str = "评估 evaluating") -> Replay:
    """Run `work` over the cases (from `archive_cases`, in case order), or the lines a
    `selection` chooses (cli/case_events.py), by `jobs` processes; the records stay in case
    order."""
    global _WORK
    _WORK = (work, selection, now)
    problems = RunWriter(workdir, "problems-archive")
    counts = [0, 0, 0]  # cases, cases worked on, events
    output = workdir / "output-archive.run"

    def tasks() -> Iterator[list]:
        batch, position = [], 0
        for case_id, messages in cases:
            batch.append((case_id, [(position + i, *m) for i, m in enumerate(messages)]))
            # each (position, event_id, event_type, body): a `Line`
            position += len(messages)
            if len(batch) >= GROUPS_PER_TASK:
                yield batch
                batch = []
        if batch:
            yield batch

    def records(results) -> Iterator[tuple]:
        for found, reported, n_cases, n_worked, n_events in results:
            for record in reported:
                problems.add(record)
            counts[0] += n_cases
            counts[1] += n_worked
            counts[2] += n_events
            progress.advance(n_events)
            yield from found

    try:
        with Progress(label, "events") as progress:
            if jobs <= 1:
                write_run(output, records(map(_task, tasks())))
            else:
                with multiprocessing.get_context("fork").Pool(jobs) as pool:
                    write_run(output, records(pool.imap(_task, tasks())))
    finally:
        _WORK = None
    return Replay(None, problems.close(), [output], *counts)


def _task(batch: list) -> tuple[list[tuple], list[tuple], int, int, int]:
    work, selection, now = _WORK
    found: list[tuple] = []
    reported: list[tuple] = []
    events = worked = 0
    for case_id, lines in batch:
        events += len(lines)
        lines = selected(lines, selection)
        kept = case_events(case_id, lines, now, reported.append) if lines else None
        if kept:
            worked += 1
            found.extend(work(case_id, kept))
    return found, reported, len(batch), worked, events
