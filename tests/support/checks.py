"""The end-of-test verdict of a fault test: once the pipeline is quiescent, everything
the issue asks to hold, checked together so one run reports every failure with counts."""

import json
from pathlib import Path

from tests.support.clickhouse_counts import distinct, rows_and_keys, wait_available
from tests.support.kafka_topics import committed_offsets, end_offsets, read_topic
from tests.support.oracle import (
    State,
    about,
    compare,
    current_in_clickhouse,
    evaluate,
    last_on_topic,
    states,
)
from tests.support.quiescence import wait_quiescent, wait_sink


def pipeline_failures(sandbox, events: list[dict], workdir: Path,
                      dead_letters: int = 0, timeout: float = 300.0,
                      catalogue: Path | None = None, settle: float | None = None) -> list[str]:
    """Every way the pipeline's outputs differ from what `events` should give.

    `dead_letters` is the number of dead-letter records expected (the malformed inputs);
    `catalogue`, the rule set the warnings must follow (default: the installed one)."""
    bootstrap = sandbox.stack.bootstrap
    at = wait_quiescent(sandbox, timeout=timeout, settle=settle)
    failures = []
    ends = end_offsets(bootstrap, sandbox.topic("case-events"))
    committed = committed_offsets(bootstrap, sandbox.worker_group, sandbox.topic("case-events"))
    if {p: committed.get(p, 0) for p in ends} != ends:
        failures.append(f"worker group committed {committed}, end offsets {ends}")

    expected = evaluate(events, at, workdir, catalogue)
    warnings = read_topic(bootstrap, sandbox.topic("warnings"))
    last = last_on_topic(warnings)
    on_topic, described = states(last), about(last)
    if not (comparison := compare(expected, on_topic, "warnings topic", described)).ok:
        failures.append(str(comparison))

    if rows_lag := wait_sink(sandbox):
        failures.append(f"sink group {sandbox.sink_group} still {rows_lag} rows behind "
                        f"(partition: rows) on case-rows")
    try:
        failures += clickhouse_failures(sandbox, expected, on_topic, described,
                                        len({e["event_id"] for e in events}))
    except Exception as exc:  # noqa: BLE001  e.g. no sink ever created the tables
        failures.append(f"ClickHouse not readable: {str(exc).splitlines()[0][:300]}")

    dlq = read_topic(bootstrap, sandbox.topic("case-events.dlq"))
    if len(dlq) != dead_letters:
        reasons = [json.loads(r.value).get("reasons") for r in dlq[:3]]
        failures.append(f"{len(dlq)} dead letters, expected {dead_letters}; first {reasons}")
    print(f"verdict at {at.isoformat()}: {len(expected)} warnings by evaluate, "
          f"{len(warnings)} warning messages, {len(dlq)} dead letters")
    return failures


def clickhouse_failures(sandbox, expected: dict[str, State], on_topic: dict[str, State],
                        described: dict[str, str], event_ids: int) -> list[str]:
    failures = []
    client = sandbox.clickhouse()
    wait_available(client)
    in_clickhouse = current_in_clickhouse(client, sandbox.db)
    if not (comparison := compare(expected, in_clickhouse, "ClickHouse", described)).ok:
        failures.append(str(comparison))
    if set(in_clickhouse) != set(on_topic):
        failures.append(f"{len(on_topic)} warning ids on the topic, {len(in_clickhouse)} in "
                        f"ClickHouse, {len(set(on_topic) ^ set(in_clickhouse))} not in both")
    for table, (rows, keys) in rows_and_keys(client, sandbox.db).items():
        if rows != keys:
            failures.append(f"{table}: {rows} rows after OPTIMIZE FINAL, {keys} distinct keys")
    archived = distinct(client, sandbox.db, "event_id", "events")
    if archived != event_ids:
        failures.append(f"events table: {archived} distinct event ids, published {event_ids}")
    return failures
