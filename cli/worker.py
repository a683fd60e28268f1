"""`casewatch worker`: run the Faust worker with its metrics endpoint."""

import logging
import sys


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("worker", help="run the stream worker (Kafka -> rules -> outputs)")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(func=run)


def run(args) -> int:
    from faust import Worker
    from prometheus_client import start_http_server

    import streams.agents  # noqa: F401  (registers the agents)
    from cli.kafka_access import KafkaAccessError, explained
    from streams.app import app, settings
    from streams.topics import ensure_topics

    logging.basicConfig(level=args.loglevel.upper())
    try:
        with explained(settings, settings.kafka_bootstrap, "create the casewatch topics"):
            created = ensure_topics(settings)
    except KafkaAccessError as exc:
        print(f"casewatch worker: {exc}", file=sys.stderr)
        return 2
    if created:
        logging.getLogger(__name__).info("created topics %s", created)
    start_http_server(settings.metrics_port, addr=settings.metrics_host)
    Worker(app, loglevel=args.loglevel).execute_from_commandline()
    return 0
