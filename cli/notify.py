"""`casewatch notify`: warnings, problems and lawyer notices to people (docs/notify.md).

Reads the routing file (CASEWATCH_NOTIFY_CONFIG, default deploy/notify.toml; `--check`
only validates it), restores its state from the notify-state topic, then routes, groups,
escalates and delivers; serves its metrics on CASEWATCH_NOTIFY_METRICS_PORT. Stops
cleanly on SIGTERM/SIGINT, and when started by a worker (CASEWATCH_SINK_PARENT_PID) also
once that worker is gone. Exit codes: 0 stopped, 2 bad settings or routing file, 70 a
round could not be committed (restart it).
"""

import asyncio
import logging
import os
import signal
import sys

log = logging.getLogger("casewatch.notify")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("notify", help="deliver warnings to units' channels "
                              "(routing, grouping, escalation, silences)")
    p.add_argument("--check", action="store_true",
                   help="only validate the routing file and its secrets; exit 0 or 2")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(func=run)


def run(args) -> int:
    from notify.config import ConfigError, load_config
    from notify.settings import NotifySettings
    from streams.settings import Settings

    nsettings = NotifySettings.from_env()
    try:
        loaded = load_config(nsettings.config)
    except ConfigError as exc:
        print(f"casewatch notify: 路由配置错误 invalid routing file: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print(f"casewatch notify: {nsettings.config} is valid: {loaded!r}")
        return 0
    logging.getLogger().setLevel(args.loglevel.upper())
    logging.getLogger("casewatch").setLevel(args.loglevel.upper())
    return asyncio.run(serve(Settings.from_env(), nsettings, loaded))


async def serve(settings, nsettings, loaded) -> int:
    from prometheus_client import start_http_server

    from cli.sink import watch_parent
    from notify.service import FATAL_EXIT, Fatal, NotifyService
    from streams.sink_process import PARENT_PID_ENV

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    parent = os.environ.get(PARENT_PID_ENV)
    if parent:  # the worker stops us; Ctrl-C reaches it too
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        loop.add_signal_handler(signal.SIGINT, stopping.set)
    watch = asyncio.create_task(watch_parent(stopping, parent, "notifier"))
    try:
        start_http_server(nsettings.metrics_port, addr=settings.metrics_host)
    except OSError as exc:  # delivering matters more than being watched
        log.error("cannot serve metrics on port %d: %s", nsettings.metrics_port, exc)
    try:
        await NotifyService(settings, nsettings, loaded).run(stopping)
    except Fatal as exc:
        log.critical("stopping without committing: %s", exc)
        return FATAL_EXIT
    finally:
        watch.cancel()
    return 0

