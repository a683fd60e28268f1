"""The worker's state and its one writer: tasks (one per owned input partition), the cache
of parsed cases, the due index, and how a job runs.

Jobs (source batches, rounds of dues, quarantined cases tried again) run one at a time
under `lock`, which rebalances and restore steps take too: a partition is never released
or restored while a job touches it. A job processes each partition's share in turn,
handing the event loop back between cases, and commits each share in its partition's
transaction (streams/outputs.py) while it goes on with the next. Only a committed share
reaches the local store, the due index and the source position: a share that is not
committed leaves no trace but the cached cases, which are dropped.
"""

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import datetime

from aiokafka import TopicPartition

from rules.engine import Engine
from rules.lawyer_notices import load_lawyer_nodes
from schemas.units import WatchedUnits
from streams import metrics
from streams.case_cache import CaseCache
from streams.case_store import PartitionStore
from streams.collector import settle
from streams.due_index import DueIndex
from streams.lawyer_notices import NoticeFinder
from streams.outputs import Fenced, PartitionProducer
from streams.restore import Restorer
from streams.rulesets import PARTITION_CASE, RULESET_ITEM, SWEEP_ITEM, RulesetBook, control_kind
from streams.settings import Settings
from streams.task import ACTIVE, LOST, RESTORING, SUSPENDED, Task
from streams.work import Job, Processor, Result

log = logging.getLogger(__name__)

YIELD_AFTER = 0.02  # seconds of work between two hand-backs of the event loop
INDEX_STEP = 2_000  # due entries rebuilt between two hand-backs (about 15 ms)
LOST_RETRY = 3.0  # seconds a lost task waits for a rebalance before it is taken up again


def watched_units(settings: Settings):
    """The unit registry's reader when its file exists (reloaded on change; an invalid file
    stops the worker at start); None where there is none: units are then not checked."""
    if not settings.units_file.exists():
        log.warning("no unit registry at %s: events' units are not checked",
                    settings.units_file)
        return None
    return WatchedUnits(settings.units_file).current


async def drain(steps: Iterator[None]) -> None:
    """Run a generator of work, handing the event loop back every YIELD_AFTER seconds;
    what the work left is frozen at every hand-back (streams/collector.py)."""
    last = time.perf_counter()
    cpu = time.thread_time()
    for _ in steps:
        if time.perf_counter() - last >= YIELD_AFTER:
            metrics.WORK_STRETCH.observe(time.thread_time() - cpu)
            settle()
            await asyncio.sleep(0)
            last, cpu = time.perf_counter(), time.thread_time()
    metrics.WORK_STRETCH.observe(time.thread_time() - cpu)
    settle()


class Runtime:
    def __init__(self, settings: Settings, engine: Engine, clock):
        self.settings = settings
        self.clock = clock
        self.lock = asyncio.Lock()
        self.tasks: dict[int, Task] = {}
        self.stores: dict[int, PartitionStore] = {}  # of the tasks, for the processor
        self.cache = CaseCache(settings.case_cache_size, settings.closed_retention)
        self.due_index = DueIndex()
        self.book = RulesetBook(settings, engine)
        self.processor = Processor(settings, engine, self.cache, self.stores,
                                   units=watched_units(settings),
                                   notices=NoticeFinder(load_lawyer_nodes()), book=self.book)
        self.sweeping: set[int] = set()  # partitions re-timing their cases (new rules)
        self.source_topic = settings.topic("case-events")
        self.changelog_topic = settings.topic("case-state")
        self.restorer = Restorer(settings)

    async def start(self) -> None:
        await self.restorer.start()

    async def stop(self) -> None:
        for task in self.tasks.values():
            await self._stop_producer(task)
            task.store.close()
        self.tasks.clear()
        self.stores.clear()
        await self.restorer.stop()

    # ------------------------------------------------------------------ ownership

    @property
    def ready(self) -> bool:
        """Every owned partition is active (and there is at least one)."""
        return bool(self.tasks) and all(t.state == ACTIVE for t in self.tasks.values())

    def active(self, partition: int) -> bool:
        task = self.tasks.get(partition)
        return task is not None and task.state == ACTIVE

    def revoke(self, partitions: set[int]) -> None:
        """Suspend revoked tasks (call under `lock`): nothing more is written for them."""
        for p in partitions:
            task = self.tasks.get(p)
            if task is not None and task.state != SUSPENDED:
                task.state = SUSPENDED
                task.committed = None

    async def assign(self, partitions: set[int]) -> None:
        """Take up the assignment (call under `lock`): suspended tasks that came back are
        restored with what they kept, the others closed; new ones are created. Restoring
        happens later, in steps (`restore_step`)."""
        for p, task in list(self.tasks.items()):
            if task.state == SUSPENDED and p not in partitions:
                await self._close(task)
        for p in partitions:
            task = self.tasks.get(p)
            if task is None:
                task = Task(p, PartitionStore(self.settings.state_dir / f"cases-{p}"))
                self.tasks[p] = task
                self.stores[p] = task.store
                await asyncio.sleep(0)  # an open after a crash replays the store's log
            elif task.state == SUSPENDED:
                task.kept = True
            if task.state != RESTORING or task.producer is not None:
                await self._stop_producer(task)
                self._restart(task)

    def lost(self) -> list[int]:
        return [p for p, t in self.tasks.items() if t.state == LOST]

    async def _close(self, task: Task) -> None:
        await self._stop_producer(task)
        task.store.close()
        del self.tasks[task.partition], self.stores[task.partition]
        self.processor.engines.pop(task.partition, None)
        self.sweeping.discard(task.partition)
        self.cache.drop_partitions([task.partition])
        self.due_index.keep_only(self.tasks)

    def _restart(self, task: Task) -> None:
        task.state, task.restore_end, task.applied = RESTORING, None, 0

    async def _stop_producer(self, task: Task) -> None:
        if task.producer is not None:
            producer, task.producer = task.producer, None
            await producer.stop()

    def _lose(self, task: Task, exc: Fenced) -> None:
        log.warning("partition %d is fenced (%s): nothing more is written for it", task.partition,
                    exc)
        metrics.FENCED.inc()
        task.state, task.kept, task.committed = LOST, False, None
        task.retry_at = time.monotonic() + LOST_RETRY
        self.cache.drop_partitions([task.partition])
        self.due_index.keep_only(p for p, t in self.tasks.items() if t.state != LOST)

    # ------------------------------------------------------------------ restoring

    def restoring(self) -> bool:
        """A restore step has work to do now."""
        now = time.monotonic()
        return any(t.state == RESTORING or (t.state == LOST and t.retry_at <= now)
                   for t in self.tasks.values())

    async def restore_step(self) -> int | None:
        """One bounded step of restoring (call under `lock`); the partition that became
        active by it, if one did."""
        now = time.monotonic()
        for task in self.tasks.values():
            if task.state == LOST and task.retry_at <= now:
                await self._stop_producer(task)
                self._restart(task)
        task = next((t for t in self.tasks.values() if t.state == RESTORING), None)
        if task is None:
            return None
        started = time.monotonic()
        p = task.partition
        if task.producer is None:  # first, fence every earlier owner of the partition
            producer = PartitionProducer(self.settings, p)
            await producer.start()
            task.producer = producer
            task.restore_end = await self.restorer.end(p)
            if task.store.checkpoint() > task.restore_end:
                log.warning("store of partition %d is ahead of its changelog (%d > %d): "
                            "rebuilding it", p, task.store.checkpoint(), task.restore_end)
                task.store.destroy()
                task.applied += 1  # nothing kept can be trusted
            return None
        start = task.store.checkpoint()
        if start < task.restore_end:
            _, applied = await self.restorer.step(task.store, p, start)
            task.applied += applied
            metrics.RESTORE_SECONDS.inc(time.monotonic() - started)
            return None
        task.store.set_checkpoint(task.restore_end)
        if not (task.kept and task.applied == 0):
            self.cache.drop_partitions([p])
            await self._take_up_rules(task)
            await self._rebuild_index(task)
        task.state, task.kept = ACTIVE, False
        metrics.QUARANTINED.labels(str(p)).set(len(task.store.quarantined()))
        log.info("partition %d active: %d changelog records applied", p, task.applied)
        return p

    async def _take_up_rules(self, task: Task) -> None:
        """The partition's rule set, as its changelog says (streams/rulesets.py), and its
        sweep if one was under way."""
        p = task.partition
        held = task.store.get(PARTITION_CASE, RULESET_ITEM)
        self.processor.engines.pop(p, None)
        if held is not None and held.decode() not in self.processor.engine.catalogue.version:
            if held.decode() not in self.book.records:
                await self.book.refresh()
            self.processor.engines[p] = self.book.engine(held.decode())  # KeyError: stop
        if task.store.get(PARTITION_CASE, SWEEP_ITEM) is not None:
            self.sweeping.add(p)
        else:
            self.sweeping.discard(p)

    async def _rebuild_index(self, task: Task) -> None:
        self.due_index.keep_only(q for q in self.tasks if q != task.partition)
        for n, (case_id, at) in enumerate(task.store.dues(), 1):
            self.due_index.set(task.partition, case_id, at)
            if n % INDEX_STEP == 0:
                settle()
                await asyncio.sleep(0)
        settle()

    # ------------------------------------------------------------------ jobs

    async def execute(self, job: Job) -> None:
        """Run one job to the end: every partition's share committed, or its task lost.
        A share that cannot be committed raises (OutputsFailed): the worker must stop."""
        now: datetime = self.clock.now()
        if self.processor.book is not None and any(control_kind(r) for r in job.records):
            await self.book.refresh()  # a marker names a rule set published just before
        commits: list[asyncio.Task] = []
        by_partition: dict[int, list] = {}
        for r in job.records:
            by_partition.setdefault(r.partition, []).append(r)
        for p, records in by_partition.items():
            if self.active(p):
                out = Result(p)
                await drain(self.processor.records(p, records, now, out))
                # past the transaction markers that may follow the last record (forwarded
                # records are written in transactions), so that a partition read to its
                # end shows no lag
                out.offset = max(out.offset or 0, job.positions.get(p, 0))
                commits.append(asyncio.ensure_future(self._commit(self.tasks[p], out)))
        dues: dict[int, list[str]] = {}
        for p, case_id in job.dues:
            dues.setdefault(p, []).append(case_id)
        for p, case_ids in dues.items():
            if self.active(p):
                out = Result(p)
                await drain(self.processor.dues(p, case_ids, now, out))
                commits.append(asyncio.ensure_future(self._commit(self.tasks[p], out)))
        for kind, partitions in (("replay", job.replay), ("sweep", job.sweep)):
            for p in partitions:
                if self.active(p):
                    out = Result(p)
                    await drain(getattr(self.processor, kind)(p, now, out))
                    commits.append(asyncio.ensure_future(self._commit(self.tasks[p], out)))
        failures = [r for r in await asyncio.gather(*commits, return_exceptions=True)
                    if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        self.cache.trim()
        metrics.CACHED_CASES.set(len(self.cache))

    async def _commit(self, task: Task, out: Result) -> None:
        if not out.sends and out.offset is None:
            return
        offsets = None
        if out.offset is not None:
            offsets = {TopicPartition(self.source_topic, task.partition): out.offset}
        try:
            acks = await task.producer.commit(out.sends, offsets, self.settings.app_id)
        except Fenced as exc:
            self._lose(task, exc)
            return
        except BaseException:
            self.cache.drop_partitions([task.partition])
            raise
        ends = [o for s, (_, o) in zip(out.sends, acks, strict=True)
                if s.topic == self.changelog_topic]
        await drain(task.store.apply_steps(out.changelog, max(ends) + 1 if ends else None))
        for case_id, due in out.dues:
            self.due_index.set(task.partition, case_id, due)
        if out.offset is not None:
            task.committed = out.offset
        if out.sweep == "running":
            self.sweeping.add(task.partition)
        elif out.sweep == "done":
            self.sweeping.discard(task.partition)

    def due_now(self, limit: int) -> list[tuple[int, str]]:
        """Up to `limit` (partition, case_id) of active partitions whose due has come,
        taken off the index; a job re-indexes each with its next due once committed."""
        active = [p for p, t in self.tasks.items() if t.state == ACTIVE]
        return [(p, c) for p, c, _ in self.due_index.pop_due(time.time(), limit, active)]
