"""`casewatch worker`: run the stream worker with its metrics and health endpoints."""

import logging
import sys


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("worker", help="run the stream worker (Kafka -> rules -> outputs)")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(func=run)


def run(args) -> int:
    from faust import Worker
    from prometheus_client import start_http_server

    from cli.kafka_access import KafkaAccessError, explained
    from streams.app import create_app
    from streams.log_format import log_format_from_env, logging_config
    from streams.settings import Settings
    from streams.topics import ensure_topics

    settings = Settings.from_env()
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
    app = create_app(settings)
    log_format = log_format_from_env()
    config = None if log_format == "text" else logging_config(log_format, args.loglevel.upper())
    Worker(app, loglevel=args.loglevel, logging_config=config).execute_from_commandline()
    return 0
