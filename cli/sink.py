"""`casewatch sink`: the ClickHouse sink in its own process (docs/clickhouse.md).

Migrates the database, then reads the output topics in the consumer group `<app_id>-sink`
and writes them to ClickHouse, committing only what is durable; serves its metrics on
CASEWATCH_SINK_METRICS_PORT. Stops cleanly on SIGTERM/SIGINT, and when started by a worker
(CASEWATCH_SINK_PARENT_PID) also once that worker is gone.
"""

import asyncio
import logging
import os
import signal

log = logging.getLogger("casewatch.sink")
MAX_BACKOFF = 5.0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sink", help="run the ClickHouse sink (output topics -> ClickHouse)")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(func=run)


def run(args) -> int:
    from streams.settings import Settings

    logging.basicConfig(level=args.loglevel.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # its traceback on every refused connection would bury our one line per failed write
    logging.getLogger("clickhouse_driver.connection").setLevel(logging.ERROR)
    asyncio.run(serve(Settings.from_env()))
    return 0


async def serve(settings) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from prometheus_client import start_http_server

    from sinks import metrics
    from sinks.clickhouse.batch import Batch
    from sinks.clickhouse.client import ClickHouse
    from sinks.clickhouse.migrate import MigratingWriter
    from sinks.consumer import SinkConsumer
    from sinks.decode import DECODERS
    from streams.kafka_clients import connection
    from streams.sink_process import PARENT_PID_ENV
    from streams.topics import ensure_topics

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    if os.environ.get(PARENT_PID_ENV):  # the worker stops us; Ctrl-C reaches it too
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        loop.add_signal_handler(signal.SIGINT, stopping.set)
    watch = asyncio.create_task(_watch_parent(stopping, os.environ.get(PARENT_PID_ENV)))
    try:
        start_http_server(settings.sink_metrics_port, addr=settings.metrics_host)
    except OSError as exc:  # writing matters more than being watched: go on without
        log.error("cannot serve metrics on port %d: %s", settings.sink_metrics_port, exc)
    ch = ClickHouse(settings.clickhouse)
    db = settings.clickhouse.database
    writer = MigratingWriter(ch, ch.execute, db)
    try:
        await asyncio.to_thread(writer.migrate)
    except Exception as exc:  # ClickHouse down: retried with the first write, which holds
        log.warning("migrations failed, retried before the first write: %s", exc)
    await asyncio.to_thread(ensure_topics, settings)
    client_id = f"{settings.app_id}-sink"
    producer = AIOKafkaProducer(**connection(settings), acks="all", client_id=client_id)
    consumer = AIOKafkaConsumer(**connection(settings), group_id=client_id,
                                client_id=client_id, enable_auto_commit=False,
                                auto_offset_reset="earliest",
                                isolation_level="read_committed")
    await producer.start()
    try:
        await consumer.start()
        try:
            batch = Batch(writer, db=db, max_rows=settings.sink_batch_rows,
                          max_age=settings.sink_flush_seconds,
                          on_written=lambda table, n: metrics.SINK_ROWS.labels(table).inc(n))
            dead_letters = DeadLetters(producer, settings.topic("case-events.dlq"),
                                       settings.dead_letter_value_limit)
            decoders = {settings.topic(name): decode for name, decode in DECODERS.items()}
            sink = SinkConsumer(consumer, batch, decoders, dead_letters.send,
                                max_records=settings.sink_batch_rows)
            log.info("sink reading %s into ClickHouse database %s", sorted(decoders), db)
            await sink.run(stopping)
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
        watch.cancel()


class DeadLetters:
    """Sends what the sink cannot read to the dead-letter topic, retrying while Kafka is away."""

    def __init__(self, producer, topic: str, value_limit: int):
        self.producer = producer
        self.topic = topic
        self.value_limit = value_limit

    async def send(self, record, reason: str, value: bytes | None) -> None:
        """Dead-letter `value` (the record's, or one row of it) with where it was read."""
        from aiokafka.errors import KafkaError, KafkaTimeoutError

        from streams.dead_letter import dead_letter

        value = dead_letter(value, record.key, [reason], record.topic, record.partition,
                            record.offset, value_limit=self.value_limit)
        delay = 0.2
        while True:
            try:
                await self.producer.send_and_wait(self.topic, value=value, key=record.key)
                return
            except KafkaError as exc:
                if not (exc.retriable or isinstance(exc, KafkaTimeoutError)):
                    log.error("dead letter of %s[%d]@%d refused, record skipped: %s",
                              record.topic, record.partition, record.offset, exc)
                    return
                log.warning("dead letter not sent, retrying in %.1f s: %s", delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)


async def _watch_parent(stopping: asyncio.Event, parent: str | None) -> None:
    if not parent:
        return
    while not stopping.is_set():
        if os.getppid() != int(parent):
            log.warning("the worker that started the sink is gone; stopping")
            stopping.set()
            return
        await asyncio.sleep(1.0)
