"""The case agent: validate, apply to the case's history, publish what changed."""

import json
import logging
import time
from datetime import UTC, datetime

from schemas.event import InvalidEvent, parse_event
from sinks.rows import seconds
from streams import metrics
from streams.agents.healer import republish
from streams.app import (
    app,
    case_inputs,
    case_rows,
    case_ticks,
    cases,
    clock,
    dead_letters,
    due_index,
    dues,
    engine,
    gaps,
    warnings_topic,
)
from streams.case_state import CaseState
from streams.dead_letter import dead_letter
from streams.processor import Outcome, apply_event, evaluate

log = logging.getLogger(__name__)


@app.agent(case_inputs, concurrency=1)
async def process_cases(stream):
    async for event in stream.events():
        watch_for_skips(event.message)
        try:
            if event.message.topic == case_ticks.get_topic_name():
                await on_tick(event)
            else:
                await on_case_event(event)
        except Exception as exc:  # a bug must neither stop the worker nor lose the message
            log.exception("processing failed")
            await reject(event, [f"processing failed: {type(exc).__name__}: {exc}"], "error")


def watch_for_skips(msg) -> None:
    committed = app.consumer._committed_offset.get(msg.tp)  # Faust keeps no public accessor
    skipped = gaps.observe(msg.tp, msg.offset, committed)
    if skipped is not None:
        app.add_future(republish(msg.topic, msg.partition, *skipped))


def replayed(state: CaseState, event) -> bool:
    """Seen before by this case (a redelivery after a crash), or re-published as a replay."""
    return state.seen_before(event.message.topic, event.message.offset) or is_replay(event)


def is_replay(event) -> bool:
    headers = event.headers or {}
    marks = headers.items() if isinstance(headers, dict) else headers
    return any(k == "casewatch-replay" for k, _ in marks)


async def on_case_event(event) -> None:
    msg = event.message
    try:
        parsed = parse_event(event.value or b"")
    except InvalidEvent as exc:
        await reject(event, exc.reasons)
        return
    key = event.key.decode("utf-8", "replace") if event.key is not None else None
    if key != parsed.case_id:
        await reject(event, [f"message key {key!r} must be the event's case_id "
                             f"{parsed.case_id!r}"])
        return
    state = CaseState.from_json(cases.get(parsed.case_id))
    outcome = apply_event(state, parsed, clock.now(), engine, replayed(state, event))
    if outcome.conflict:
        await reject(event, [outcome.conflict], result="conflict")
        return
    metrics.EVENTS_IN.labels("duplicate" if outcome.duplicate else "valid").inc()
    await publish(parsed.case_id, outcome, state, msg, raw=event.value)
    save(parsed.case_id, state, msg.partition)


async def on_tick(event) -> None:
    tick = json.loads(event.value)
    case_id = tick["case_id"]
    raw_state = cases.get(case_id)
    if raw_state is None:
        return
    metrics.FIRE_DELAY.observe(max(0.0, time.time() - tick["at"]))
    state = CaseState.from_json(raw_state)
    outcome = evaluate(state, clock.now(), engine, republish=replayed(state, event))
    await publish(case_id, outcome, state, event.message)
    save(case_id, state, event.message.partition)


async def reject(event, reasons: list[str], result: str = "invalid") -> None:
    msg = event.message
    metrics.EVENTS_IN.labels(result).inc()
    log.info("dead-lettered %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, reasons)
    value = dead_letter(event.value, event.key, reasons, msg.topic, msg.partition, msg.offset)
    await dead_letters.send(key=event.key, value=value)


async def publish(case_id: str, outcome: Outcome, state: CaseState, msg, raw=None) -> None:
    key = case_id.encode()
    for w in outcome.warnings:
        metrics.WARNINGS.labels(w.rule_id, w.level.value, w.status.value).inc()
        await warnings_topic.send(key=key, value=w.model_dump_json().encode())
    rows = []
    if outcome.archived is not None:
        rows.append({"table": "events", "event": raw.decode("utf-8", "replace"),
                     "partition": msg.partition, "offset": msg.offset,
                     "received_at": seconds(datetime.now(UTC)).isoformat()})
    for m in outcome.measures:
        rows.append({"table": "measure_state", "state": m.model_dump(mode="json"),
                     "version": state.version})
    if rows:  # one message per processed event
        value = json.dumps({"rows": rows}, ensure_ascii=False).encode()
        await case_rows.send(key=key, value=value)


def save(case_id: str, state: CaseState, partition: int) -> None:
    cases[case_id] = state.to_json()
    previous = dues.get(case_id)
    if state.next_at is None:
        if previous is not None:
            del dues[case_id]
    else:
        entry = json.dumps([state.next_at, partition]).encode()
        if entry != previous:
            dues[case_id] = entry
    due_index.set(partition, case_id, state.next_at)
