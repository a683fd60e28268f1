"""The ClickHouse sink: batches of output records, committed only once durable.

A plain aiokafka consumer (group `<app_id>-sink`) with manual commits, run as a task of the
worker: read a batch, write it with one insert per table, then commit. While ClickHouse is
down the partitions are paused and the batch is retried with backoff; nothing is
committed, so nothing is lost, and a retried batch collapses on the tables' keys.
"""

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from sinks.batch import Batch
from sinks.clickhouse import ClickHouse
from sinks.migrate import migrate
from streams import metrics
from streams.app import app, case_rows, dead_letters, settings, warnings_topic
from streams.dead_letter import dead_letter
from streams.sink_rows import case_rows_message, warning_action_message, warning_message

log = logging.getLogger(__name__)
MAX_BACKOFF = 5.0


@app.task
async def run_sink() -> None:
    ch = ClickHouse(settings.clickhouse)
    await _until_done(lambda: migrate(ch.execute, settings.clickhouse.database), "migrations")
    decoders = {
        warnings_topic.get_topic_name(): warning_message,
        case_rows.get_topic_name(): case_rows_message,
        settings.topic("warning-actions"): warning_action_message,
    }
    consumer = AIOKafkaConsumer(
        *decoders,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"{settings.app_id}-sink",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    batch = Batch(ch, db=settings.clickhouse.database, max_rows=settings.sink_batch_rows,
                  max_age=settings.sink_flush_seconds)
    try:
        while True:
            records = await consumer.getmany(timeout_ms=200, max_records=settings.sink_batch_rows)
            for tp, messages in records.items():
                for m in messages:
                    try:
                        rows = decoders[tp.topic](m.value)
                    except Exception as exc:  # a bad record must not stop the sink
                        await _dead_letter(m, exc)
                        continue
                    for table, row in rows:
                        batch.add(table, row, (tp.topic, tp.partition), m.offset)
            if len(batch) and (batch.should_flush() or not records):
                await _flush_and_commit(consumer, batch)
    finally:
        await consumer.stop()


async def _dead_letter(m, exc: Exception) -> None:
    metrics.SINK_FAILURES.inc()
    log.error("unreadable record %s[%d]@%d dead-lettered: %s", m.topic, m.partition, m.offset, exc)
    value = dead_letter(m.value, m.key, [f"sink cannot read the record: {exc}"], m.topic,
                        m.partition, m.offset)
    await dead_letters.send(key=m.key, value=value)


async def _flush_and_commit(consumer: AIOKafkaConsumer, batch: Batch) -> None:
    consumer.pause(*consumer.assignment())
    try:
        started = time.monotonic()
        durable = await _until_done(batch.flush, "ClickHouse write", keep_polling=consumer)
        metrics.SINK_BATCH_SECONDS.observe(time.monotonic() - started)
    finally:
        consumer.resume(*consumer.paused())
    offsets = {TopicPartition(topic, p): offset + 1 for (topic, p), offset in durable.items()}
    try:
        await consumer.commit(offsets)
    except Exception as exc:  # a rebalance took the partitions: they will be read again
        log.warning("commit after flush failed, batch will be re-read: %s", exc)


async def _until_done(call, what: str, keep_polling: AIOKafkaConsumer | None = None):
    """Run a blocking call in a thread until it succeeds, backing off between tries."""
    delay = 0.2
    while True:
        try:
            return await asyncio.get_running_loop().run_in_executor(None, call)
        except Exception as exc:  # ClickHouse down or refusing: hold and retry
            metrics.SINK_FAILURES.inc()
            log.warning("%s failed, retrying in %.1f s: %s", what, delay, exc)
        if keep_polling is not None:
            await keep_polling.getmany(timeout_ms=0)  # keep group membership alive while held
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_BACKOFF)
