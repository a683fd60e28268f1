"""An event file's cases, one at a time, in bounded memory: what `casewatch evaluate` and
`casewatch whatif` run the rules over.

The input is read exactly as `cli.jsonl.read_events` reads it (evaluate.md): lines numbered
from 1, blank lines skipped, each line a valid event or a problem `line N: reason`, the first
valid line of an `event_id` staying and a later one with other content a conflict; problems
in line order. But nothing holds the file: it is sorted by case on disk (cli/runs.py).

1. scan: worker processes read the file in chunks; each line gets its position and its
   `event_id` and `case_id` (orjson; a line orjson cannot read is validated at once) and goes
   to a sorted run of its case's partition, its ids to a run of its event_id's partition;
2. settle: per event_id partition, an `event_id` found in more than one case is settled as
   `read_events` would: the first valid line's case keeps it, a valid line of another case
   is a conflict (the lines are read back and validated);
3. cases: per case partition, the runs are merged back in case order, each line validated,
   repeats of an `event_id` within the case resolved, and the case's events handed to
   `work`, whose records (sorted, led by the case id) go to the partition's output run.

Memory holds a chunk, one case, and a batch per run. `work(case_id, events)` runs in the
worker processes: it is set before they fork, with the engines it needs.
"""

import gc
import multiprocessing
import os
import shutil
import stat
import sys
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import orjson

from cli.jsonl import Problem, conflict_reason
from cli.progress import Progress
from cli.runs import RunWriter, merge, write_run
from schemas.event import MAX_MESSAGE_BYTES, Envelope, InvalidEvent, parse_event

Work = Callable[[str, list[Envelope]], Sequence[tuple]]

CHUNK_BYTES = 32 * 2**20  # of the file per scan task: about 90,000 events
MIN_CHUNK_BYTES = 2**20
PARTITIONS_PER_JOB = 4  # several per process: even load
POSITION_BITS = 32  # a line's position: chunk index << 32 | index of the line in the chunk
TICK = 4096  # progress is counted across processes in steps of this many


@dataclass(frozen=True)
class _Job:
    path: Path
    workdir: Path
    partitions: int
    work: Work
    counter: object | None  # multiprocessing.Value shared with the workers, or None


_JOB: _Job | None = None  # set before the workers fork
_TICK: Callable[[int], None] = lambda n: None  # noqa: E731


def partition(key: str, count: int) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % count


def _ids(raw: bytes) -> tuple[str, str] | str:
    """(event_id, case_id) of a line, or the reason it is not a valid event."""
    if len(raw) <= MAX_MESSAGE_BYTES:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = None
        if type(data) is dict:
            event_id, case_id = data.get("event_id"), data.get("case_id")
            if type(event_id) is str and type(case_id) is str:
                return event_id, case_id
    try:
        event = parse_event(raw)
    except InvalidEvent as exc:
        return "; ".join(exc.reasons)
    return event.event_id, event.case_id


@contextmanager
def _collector_paused():
    """Every object a task allocates is freed by reference counting: the cyclic collector
    would only rescan them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# -------------------------------------------------------------------------------- tasks

@dataclass(frozen=True)
class _Scanned:
    lines: int
    events: int  # lines read as an event (validated later)
    case_runs: list[Path]
    id_runs: list[Path]
    problem_runs: list[Path]


def _scan(task: tuple[int, int, int]) -> _Scanned:
    """One chunk of the file (whole lines from byte `start` to `end`) into sorted runs."""
    chunk, start, end = task
    job = _JOB
    with _collector_paused(), job.path.open("rb") as f:
        f.seek(start)
        data = f.read(end - start)
        pieces = data.split(b"\n")
        if data.endswith(b"\n"):
            pieces.pop()
        del data
        parts = job.partitions
        cases: list[list[tuple]] = [[] for _ in range(parts)]
        ids: list[list[tuple]] = [[] for _ in range(parts)]
        problems: list[tuple] = []
        offset, base = start, chunk << POSITION_BITS
        for i, piece in enumerate(pieces):
            at, offset = offset, offset + len(piece) + 1
            if not piece.strip():
                continue
            raw = piece.rstrip(b"\r\n")
            found = _ids(raw)
            if type(found) is str:
                problems.append((base + i, found, None, None))
                continue
            event_id, case_id = found
            cases[partition(case_id, parts)].append((case_id, base + i, event_id, raw))
            ids[partition(event_id, parts)].append((event_id, base + i, case_id, at, len(raw)))
            if i % TICK == TICK - 1:
                _TICK(TICK)
        lines = len(pieces)
        _TICK(lines % TICK)
        del pieces
        events = sum(map(len, cases))
        return _Scanned(lines, events, _write_sorted(job.workdir, f"case{chunk}", cases),
                        _write_sorted(job.workdir, f"id{chunk}", ids),
                        [p for p in [_problem_run(job.workdir, f"scan{chunk}", problems)] if p])


def _write_sorted(workdir: Path, prefix: str, parts: list[list[tuple]]) -> list[Path]:
    """One sorted run per partition (an empty one too: the lists stay aligned)."""
    paths = []
    for n, records in enumerate(parts):
        records.sort()
        path = workdir / f"{prefix}-p{n}.run"
        write_run(path, records)
        paths.append(path)
        parts[n] = []
    return paths


def _problem_run(workdir: Path, name: str, problems: list[tuple]) -> Path | None:
    if not problems:
        return None
    problems.sort()
    path = workdir / f"problems-{name}.run"
    write_run(path, problems)
    return path


@dataclass(frozen=True)
class _Settled:
    exclusion_runs: list[Path]  # per case partition: (case_id, position) of conflicts
    problem_runs: list[Path]


def _settle(task: tuple[int, list[Path]]) -> _Settled:
    """Event ids of one id partition found in more than one case: which lines conflict."""
    part, runs = task
    job = _JOB
    excluded: list[list[tuple]] = [[] for _ in range(job.partitions)]
    problems: list[tuple] = []
    with _collector_paused(), job.path.open("rb") as f:
        for event_id, lines in groupby(merge(runs), key=itemgetter(0)):
            group = list(lines)
            if len(group) == 1 or all(r[2] == group[0][2] for r in group):
                continue  # one case: settled with the case (`_case_events`)
            owner: tuple[int, str] | None = None
            for _, position, case_id, offset, length in group:
                f.seek(offset)
                try:
                    parse_event(f.read(length))
                except InvalidEvent:
                    continue  # reported with its case
                if owner is None:
                    owner = (position, case_id)
                elif case_id != owner[1]:
                    excluded[partition(case_id, job.partitions)].append((case_id, position))
                    problems.append((position, None, event_id, owner[0]))
    return _Settled(_write_sorted(job.workdir, f"excl{part}", excluded),
                    [p for p in [_problem_run(job.workdir, f"settle{part}", problems)] if p])


@dataclass(frozen=True)
class _Evaluated:
    output: Path
    problem_runs: list[Path]
    cases: int


def _cases(task: tuple[int, list[Path], list[Path]]) -> _Evaluated:
    """One case partition: its cases in order, each through `work`."""
    part, runs, exclusion_runs = task
    job = _JOB
    problems = RunWriter(job.workdir, f"problems-cases{part}")
    counted = [0, 0]  # cases, events since the last tick

    def records() -> Iterator[tuple]:
        excluded = merge(exclusion_runs)
        skip = next(excluded, None)
        for case_id, lines in groupby(merge(runs), key=itemgetter(0)):
            kept = []
            for _, position, event_id, raw in lines:
                while skip is not None and skip < (case_id, position):
                    skip = next(excluded, None)
                if skip != (case_id, position):
                    kept.append((position, event_id, raw))
            counted[0] += 1
            counted[1] += len(kept)
            if counted[1] >= TICK:
                _TICK(counted[1])
                counted[1] = 0
            events = _case_events(case_id, kept, problems)
            if events:
                yield from job.work(case_id, events)

    output = job.workdir / f"output-p{part}.run"
    with _collector_paused():
        write_run(output, records())
    _TICK(counted[1])
    return _Evaluated(output, problems.close(), counted[0])


def _case_events(case_id: str, lines: list[tuple[int, str, bytes]],
                 problems: RunWriter) -> list[Envelope]:
    """The case's events from its lines in file order, as `read_events` keeps them: each
    event_id once (its first valid line), a later line with other content a conflict."""
    first: dict[str, tuple[int, Envelope]] = {}
    events = []
    for position, event_id, raw in lines:
        try:
            event = parse_event(raw)
        except InvalidEvent as exc:
            problems.add((position, "; ".join(exc.reasons), None, None))
            continue
        if event.event_id != event_id or event.case_id != case_id:
            raise RuntimeError(f"position {position}: the JSON parsers disagree on its ids")
        seen = first.get(event_id)
        if seen is None:
            first[event_id] = (position, event)
            events.append(event)
        elif seen[1] != event:
            problems.add((position, None, event_id, seen[0]))
    return events


# ------------------------------------------------------------------------------- driver

@dataclass
class Replay:
    """What a replay produced: problems in line order, `work`'s records in order."""

    lines_before: list[int]  # per chunk: the lines of the chunks before it
    problem_runs: list[Path]
    output_runs: list[Path]
    cases: int
    events: int  # lines read as an event (before validation and conflicts)

    def line(self, position: int) -> int:
        chunk, index = position >> POSITION_BITS, position & ((1 << POSITION_BITS) - 1)
        return self.lines_before[chunk] + index + 1

    def problems(self) -> Iterator[Problem]:
        for position, reason, event_id, first in merge(self.problem_runs):
            yield Problem(self.line(position), reason if reason is not None
                          else conflict_reason(event_id, self.line(first)))

    def records(self) -> Iterator[tuple]:
        """Every record `work` returned, in order (may be read again)."""
        return merge(self.output_runs)


def regular_file(source: str, workdir: Path) -> Path:
    """`source` itself when it is a regular file; else (`-`, a pipe) a copy in `workdir`.
    Raises OSError when it cannot be read."""
    if source != "-":
        path = Path(source)
        mode = path.stat().st_mode
        if stat.S_ISREG(mode):
            with path.open("rb"):  # readable
                return path
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, os.strerror(21), source)
    copy = workdir / "input.jsonl"
    with copy.open("wb") as dst:
        if source == "-":
            shutil.copyfileobj(sys.stdin.buffer, dst, 2**20)
        else:
            with Path(source).open("rb") as src:
                shutil.copyfileobj(src, dst, 2**20)
    return copy


def chunks(path: Path, chunk_bytes: int) -> list[tuple[int, int, int]]:
    """(index, start, end) of whole-line byte ranges of about `chunk_bytes` each."""
    size = path.stat().st_size
    out, start = [], 0
    with path.open("rb") as f:
        while start < size:
            end = start + chunk_bytes
            if end < size:
                f.seek(end - 1)
                f.readline()
                end = f.tell()
            end = min(end, size)
            out.append((len(out), start, end))
            start = end
    return out


def default_jobs(size: int, min_bytes: int) -> int:
    if size < min_bytes or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def replay(path: Path, work: Work, workdir: Path, jobs: int,
           labels: tuple[str, str] = ("读取 reading", "评估 evaluating")) -> Replay:
    """Run `work` over every case of the file at `path` (a regular file), by `jobs`
    processes, with temporary files in `workdir`; progress on a terminal."""
    global _JOB, _TICK
    size = path.stat().st_size
    parts = 1 if jobs <= 1 else jobs * PARTITIONS_PER_JOB
    chunk_bytes = CHUNK_BYTES if jobs <= 1 else \
        max(MIN_CHUNK_BYTES, min(CHUNK_BYTES, size // (jobs * PARTITIONS_PER_JOB) + 1))
    tasks = chunks(path, chunk_bytes)
    context = multiprocessing.get_context("fork") if jobs > 1 else None
    counter = context.Value("q", 0) if context else None
    _JOB = _Job(path, workdir, parts, work, counter)
    try:
        if context is None:
            return _drive(tasks, parts, _InProcess(), labels)
        with context.Pool(jobs, initializer=_count_into, initargs=(counter,)) as pool:
            return _drive(tasks, parts, _Pooled(pool, counter), labels)
    finally:
        _JOB, _TICK = None, (lambda n: None)


def _count_into(counter) -> None:
    global _TICK

    def tick(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    _TICK = tick


def _drive(tasks, parts: int, runner, labels: tuple[str, str]) -> Replay:
    with Progress(labels[0], "lines") as reading:
        scanned = runner.map(_scan, tasks, reading)
    lines_before, total = [], 0
    for s in scanned:
        lines_before.append(total)
        total += s.lines
    settled = runner.map(_settle, [(q, [s.id_runs[q] for s in scanned]) for q in range(parts)],
                         None)
    events = sum(s.events for s in scanned)
    case_tasks = [(p, [s.case_runs[p] for s in scanned],
                   [x.exclusion_runs[p] for x in settled]) for p in range(parts)]
    with Progress(labels[1], "events", total=events) as evaluating:
        evaluated = runner.map(_cases, case_tasks, evaluating)
    problem_runs = [r for s in scanned for r in s.problem_runs]
    problem_runs += [r for x in settled for r in x.problem_runs]
    problem_runs += [r for e in evaluated for r in e.problem_runs]
    return Replay(lines_before, problem_runs, [e.output for e in evaluated],
                  sum(e.cases for e in evaluated), events)


class _InProcess:
    def map(self, fn, tasks, progress: Progress | None) -> list:
        global _TICK
        _TICK = progress.advance if progress is not None else (lambda n: None)
        return [fn(t) for t in tasks]


class _Pooled:
    def __init__(self, pool, counter):
        self.pool, self.counter = pool, counter

    def map(self, fn, tasks, progress: Progress | None) -> list:
        results: list = [None] * len(tasks)
        with self.counter.get_lock():
            self.counter.value = 0
        shown = 0
        pending = self.pool.imap_unordered(_indexed, [(fn, i, t) for i, t in enumerate(tasks)])
        done = 0
        while done < len(tasks):
            try:
                i, result = pending.next(timeout=0.2)
                results[i] = result
                done += 1
            except multiprocessing.TimeoutError:
                pass
            if progress is not None:
                value = self.counter.value
                progress.advance(value - shown)
                shown = value
        return results


def _indexed(task):
    fn, i, t = task
    return i, fn(t)
