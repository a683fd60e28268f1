"""`casewatch publish FILE.jsonl`: validate, then publish each valid event keyed by case_id.
On a terminal, the count of lines read shows on standard error as they are sent."""

import sys
from datetime import UTC, datetime

from cli.jsonl import Problem, open_lines, read_events
from cli.progress import Progress

EXIT_OK, EXIT_BAD_ARGS, EXIT_INVALID_LINES = 0, 2, 3


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("publish", help="validate events (jsonl) and publish them to Kafka")
    p.add_argument("events", help="EVENTS.jsonl, or - for standard input")
    p.add_argument("--bootstrap", help="Kafka bootstrap servers (default: settings)")
    p.add_argument("--topic", help="topic (default: <prefix>case-events)")
    p.set_defaults(func=run)


def run(args) -> int:
    from kafka.errors import KafkaTimeoutError

    from cli.kafka_access import KafkaAccessError, explained
    from streams import kafka_clients
    from streams.settings import Settings

    settings = Settings.from_env()
    try:
        stream = open_lines(args.events)
    except OSError as exc:
        print(f"casewatch publish: cannot read {args.events}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_ARGS
    topic = args.topic or settings.topic("case-events")
    bootstrap = args.bootstrap or settings.kafka_bootstrap
    try:
        if args.bootstrap:
            settings = settings.model_copy(update={"kafka_bootstrap": args.bootstrap})
        with explained(settings, bootstrap, f"write topic {topic}") as access:
            producer = kafka_clients.producer(settings, acks="all", linger_ms=20,
                                              max_block_ms=10_000, bootstrap_timeout_ms=10_000)
            try:
                partitions = producer.partitions_for(topic)
            except KafkaTimeoutError:  # no metadata for the topic: say why if Kafka knows
                access.check_topics("write", [topic], set())
                raise
            if not partitions:
                access.check_topics("write", [topic], set())
    except KafkaAccessError as exc:
        print(f"casewatch publish: cannot publish to {topic}: {exc}", file=sys.stderr)
        return EXIT_BAD_ARGS
    sent = invalid = 0
    with stream, Progress("发送 publishing", "lines") as progress:
        # this machine's clock for the broker's: what the worker will dead-letter is not sent
        for _, item in progress.wrap(read_events(stream, datetime.now(UTC))):
            if isinstance(item, Problem):
                progress.print(str(item))
                invalid += 1
                continue
            producer.send(topic, key=item.case_id.encode(), value=item.model_dump_json().encode())
            sent += 1
    producer.flush()
    producer.close()
    print(f"published {sent} events to {topic}; {invalid} invalid lines not sent",
          file=sys.stderr)
    return EXIT_INVALID_LINES if invalid else EXIT_OK
