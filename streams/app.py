"""The Faust app, built by `create_app(settings)`; nothing is created at import.

Faust is the worker's framework: the app and its lifecycle, the agent that applies the
rules (streams/agents/rules.py), the timers, the web server (health and readiness) and
its sensors. Faust's own Kafka consumer and producer are not started: the source is read
in batches by streams/source.py (see there why) and every output goes through the
transactional producer of its input partition (streams/outputs.py), in the transaction
that commits the input's offset.
"""

import asyncio
import logging
import os

import faust
from faust.app.base import BootStrategy
from mode import Service

from rules.clock import Clock, WallClock
from rules.engine import Engine
from rules.ruleset import load_ruleset
from streams.agents import health, rules, timers
from streams.clock_guard import ClockGuard
from streams.collector import measure_pauses
from streams.kafka_auth import faust_kwargs
from streams.loop_monitor import watch_loop
from streams.runtime import Runtime
from streams.settings import Settings
from streams.sink_process import supervised_notify, supervised_sink
from streams.source import Source
from streams.topics import check_limits
from streams.work import Job

log = logging.getLogger(__name__)
FATAL_EXIT = 70  # the worker stopped without committing; restart it


class _WithoutFaustKafka(BootStrategy):
    enable_kafka_consumer = False
    enable_kafka_producer = False


class CasewatchApp(faust.App):
    BootStrategy = _WithoutFaustKafka


def fatal(exc: BaseException) -> None:
    """Stop at once, committing nothing: the input is read again after a restart."""
    log.critical("stopping the worker without committing: %r", exc, exc_info=exc)
    logging.shutdown()
    os._exit(FATAL_EXIT)


class Pipeline(Service):
    """Starts the runtime and runs the source and the loop watch; any failure there stops
    the worker."""

    def __init__(self, app: faust.App, runtime: Runtime, source: Source, clock: ClockGuard,
                 **kwargs):
        super().__init__(**kwargs)
        self.app, self.runtime, self.source, self.clock = app, runtime, source, clock

    async def on_start(self) -> None:
        check_limits(self.runtime.settings)
        measure_pauses()
        await self.runtime.start()
        await self.clock.start()
        self.app.flow_control.resume()  # no Faust consumer will: the jobs channel flows

    @Service.task
    async def _consume(self) -> None:
        await _supervised(self.source.run())

    @Service.task
    async def _watch_loop(self) -> None:
        await _supervised(watch_loop())

    async def on_stop(self) -> None:
        await self.clock.stop()
        await self.runtime.stop()


async def _supervised(work) -> None:
    try:
        await work
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        fatal(exc)


def create_app(settings: Settings, engine: Engine | None = None,
               clock: Clock | None = None) -> CasewatchApp:
    (settings.state_dir / "faust").mkdir(parents=True, exist_ok=True)
    app = CasewatchApp(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        datadir=str(settings.state_dir / "faust"),
        web_enabled=True,
        web_bind=settings.health_host,
        web_host=settings.health_host,
        web_port=settings.health_port,
        autodiscover=False,
        **faust_kwargs(settings),  # should Faust's own clients ever connect
    )
    if engine is None:
        engine = (Engine() if settings.rules_dir is None
                  else Engine.from_ruleset(load_ruleset(settings.rules_dir)))
    runtime = Runtime(settings, engine, clock or WallClock())
    clock_guard = ClockGuard(settings)
    jobs = app.channel()

    async def submit(job: Job) -> None:
        job.done = asyncio.get_running_loop().create_future()
        await jobs.put(job)
        await job.done

    app.apply_rules = rules.register(app, jobs, runtime)
    source = Source(runtime, submit, fatal, clock_guard)
    timers.register(app, runtime, clock_guard, submit, fatal)
    health.register(app, runtime, source, clock_guard)
    app.service(Pipeline(app, runtime, source, clock_guard))
    sink = supervised_sink(settings)  # the ClickHouse sink: its own supervised process
    if sink is not None:
        app.service(sink)
    notifier = supervised_notify(settings)  # casewatch notify, with CASEWATCH_NOTIFY=process
    if notifier is not None:
        app.service(notifier)
    app.runtime = runtime
    return app
