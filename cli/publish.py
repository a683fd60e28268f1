"""`casewatch publish FILE.jsonl`: validate, then publish each valid event keyed by case_id."""

import sys

from cli.jsonl import Problem, open_lines, read_events

EXIT_OK, EXIT_BAD_ARGS, EXIT_INVALID_LINES = 0, 2, 3


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("publish", help="validate events (jsonl) and publish them to Kafka")
    p.add_argument("events", help="EVENTS.jsonl, or - for standard input")
    p.add_argument("--bootstrap", help="Kafka bootstrap servers (default: settings)")
    p.add_argument("--topic", help="topic (default: <prefix>case-events)")
    p.set_defaults(func=run)


def run(args) -> int:
    from kafka import KafkaProducer
    from kafka.errors import KafkaTimeoutError

    from cli.kafka_access import KafkaAccessError, explained
    from streams.kafka_auth import kafka_python_kwargs
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
        with explained(settings, bootstrap, f"write topic {topic}") as access:
            producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                                     max_block_ms=10_000, bootstrap_timeout_ms=10_000,
                                     **kafka_python_kwargs(settings))
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
    with stream:
        for _, item in read_events(stream):
            if isinstance(item, Problem):
                print(item, file=sys.stderr)
                invalid += 1
                continue
            producer.send(topic, key=item.case_id.encode(), value=item.model_dump_json().encode())
            sent += 1
    producer.flush()
    producer.close()
    print(f"published {sent} events to {topic}; {invalid} invalid lines not sent",
          file=sys.stderr)
    return EXIT_INVALID_LINES if invalid else EXIT_OK
