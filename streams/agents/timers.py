"""Deadlines fire with no new event: the due index, its timer, and its rebuild on recovery."""

import json
import logging
import time

from streams import metrics
from streams.app import app, case_events, case_ticks, due_index, dues, engine, gaps, settings

log = logging.getLogger(__name__)


@app.timer(interval=settings.tick_interval)
async def fire_due() -> None:
    """Send a tick for every case whose next change is due; the case agent re-evaluates it."""
    now = time.time()
    for partition, case_id, at in due_index.pop_due(now):
        value = json.dumps({"case_id": case_id, "at": at}).encode()
        await case_ticks.send(key=case_id.encode(), value=value, partition=partition)
    oldest = due_index.oldest()
    metrics.DUE_INDEX_SIZE.set(len(due_index))
    metrics.OLDEST_DUE_DELAY.set(max(0.0, now - oldest) if oldest is not None else 0.0)
    metrics.CALENDAR_FALLBACK.set(len(engine.calendar.fallback_years))


@dues.on_recover
async def rebuild_due_index() -> None:
    """After (re)assignment: rebuild the index from the `dues` table of owned partitions,
    and let the skip watch start again from the committed offsets."""
    gaps.reset()
    topic = case_events.get_topic_name()
    owned = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}
    entries: dict[int, list[tuple[str, float]]] = {p: [] for p in owned}
    for key, value in dues.items():
        at, partition = json.loads(value)
        if partition in entries:
            entries[partition].append((key.decode() if isinstance(key, bytes) else key, at))
    due_index.keep_only(owned)
    for partition, items in entries.items():
        due_index.rebuild(partition, items)
    log.info("due index rebuilt: %d cases over partitions %s", len(due_index), sorted(owned))


@app.timer(interval=5.0)
async def report_lag() -> None:
    consumer = app.consumer
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        committed = consumer._committed_offset.get(tp)  # Faust keeps no public accessor
        if highwater is not None and committed is not None:
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(highwater - committed)
