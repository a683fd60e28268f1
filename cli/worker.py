"""`casewatch worker`: run the stream worker with its metrics and health endpoints."""

import logging


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("worker", help="run the stream worker (Kafka -> rules -> outputs)")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(func=run)


def run(args) -> int:
    from faust import Worker
    from prometheus_client import start_http_server

    from streams.app import create_app
    from streams.settings import Settings
    from streams.topics import ensure_topics

    settings = Settings.from_env()
    logging.basicConfig(level=args.loglevel.upper())
    created = ensure_topics(settings)
    if created:
        logging.getLogger(__name__).info("created topics %s", created)
    start_http_server(settings.metrics_port, addr=settings.metrics_host)
    app = create_app(settings)
    Worker(app, loglevel=args.loglevel).execute_from_commandline()
    return 0
