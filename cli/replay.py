"""An event file's cases, one at a time, in bounded memory: what `casewatch evaluate` and
`casewatch whatif` run the rules over.

The input is read exactly as `cli.jsonl.read_events` reads it (evaluate.md): lines numbered
from 1, blank lines skipped, each line a valid event or a problem `line N: reason`, the first
valid line of an `event_id` staying and a later one with other content a conflict; problems
in line order. But nothing holds the file: it is sorted by case on disk (cli/runs.py).

1. scan: worker processes read the file in chunks; each line gets its position and its
   `event_id`, `case_id` and `event_type` (orjson; a line orjson cannot read is validated
   at once) and goes to a sorted run of its case's partition (cli/replay_records.py); its
   ids go to an index of its event_id's partition;
2. settle: per id partition, an `event_id` given on more than one line is settled as
   `read_events` would: the first valid line stays, a later valid one with other content
   is a conflict (reported), with the same content a repeat; both are left out of their
   case (only these lines are read back and validated);
3. cases: per case partition, the runs are merged back in case order, each line validated
   and the case's events handed to `work`, whose records (sorted, led by the case id) go
   to the partition's output run.

Memory holds a chunk, one case, and a batch per run. `work(case_id, events)` runs in the
worker processes: it is set before they fork, with the engines it needs. With a
`Selection` (cli/case_events.py) the lines of the event types it does not read are not
written to the runs at all (their ids are still indexed), and a case of no concern to it
is neither validated nor worked on.
"""

import gc
import multiprocessing
import os
import shutil
import stat
import struct
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import compress
from pathlib import Path
from zlib import crc32

import orjson

from cli.case_events import Line, ProblemRecord, Selection, case_events, selected, valid_event
from cli.jsonl import Problem, conflict_reason
from cli.progress import Progress
from cli.replay_records import (
    encode,
    exclusion,
    line_prefix,
    line_record,
    read_line,
    text_of,
)
from cli.runs import RunWriter, merge, write_run
from schemas.event import MAX_MESSAGE_BYTES, Envelope, InvalidEvent, parse_event

Work = Callable[[str, list[Envelope]], Sequence[tuple]]

CHUNK_BYTES = 32 * 2**20  # of the file per scan task: about 90,000 events
ID_PARTITION_BYTES = 256 * 2**20  # of the file per id partition: about 700,000 ids
MIN_CHUNK_BYTES = 2**20
PARTITIONS_PER_JOB = 4  # several per process: even load
POSITION_BITS = 32  # a line's position: chunk index << 32 | index of the line in the chunk
TICK = 4096  # progress is counted across processes in steps of this many


@dataclass(frozen=True)
class _Job:
    path: Path
    now: datetime  # an event dated more than a day after it is not valid
    workdir: Path
    partitions: int  # of the cases
    id_partitions: int  # of the event ids: each settle task holds one's ids in a dict
    work: Work
    selection: Selection | None  # cli/case_events.py; None: every line


_JOB: _Job | None = None  # set before the workers fork
_TICK: Callable[[int], None] = lambda n: None  # noqa: E731


def partition(text: str, count: int) -> int:
    return crc32(encode(text)) % count


def _validated_ids(raw: bytes) -> tuple[str, str, str] | str:
    """(event_id, case_id, event_type) of a line orjson cannot read as an object with string
    ids, or the reason it is not a valid event."""
    try:
        event = parse_event(raw)
    except InvalidEvent as exc:
        return "; ".join(exc.reasons)
    return event.event_id, event.case_id, event.event_type


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
    records: int  # of those, written to the case runs
    case_runs: list[Path]
    id_files: list[Path | None]  # per id partition: its ids (`_ID`), None if none
    problem_runs: list[Path]


#: an id in the index: hash(event_id), then the position, offset and length of the line;
#: four native 8-byte integers, so a file of them is also an array of those (`_hashes`).
#: Hashes are the process's own str hashes, the same in every worker (forked).
_ID = struct.Struct("=qQQQ")
_ID_FIELDS = 4


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
    parts, id_parts, pack = job.partitions, job.id_partitions, _ID.pack
    reads = job.selection.reads if job.selection is not None else None
    cases: list[list[bytes]] = [[] for _ in range(parts)]
    ids = [bytearray() for _ in range(id_parts)]
    problems: list[ProblemRecord] = []
    offset, base, indexed = start, chunk << POSITION_BITS, 0
    loads, unreadable = orjson.loads, orjson.JSONDecodeError
    with _collector_paused():
        for i, piece in enumerate(pieces):
            at, offset = offset, offset + len(piece) + 1
            if i % TICK == TICK - 1:
                _TICK(TICK)
            raw = piece.rstrip(b"\r")
            if not raw.strip():
                continue
            # the ids as orjson reads them (validated later); else as the contract does
            try:
                data = loads(raw) if len(raw) <= MAX_MESSAGE_BYTES else None
            except unreadable:
                data = None
            if type(data) is dict and type(event_id := data.get("event_id")) is str \
                    and type(case_id := data.get("case_id")) is str:
                if type(event_type := data.get("event_type")) is not str:
                    event_type = ""
            else:
                found = _validated_ids(raw)
                if type(found) is str:
                    problems.append((base + i, found, None, None))
                    continue
                event_id, case_id, event_type = found
            event_hash = hash(event_id)
            ids[event_hash % id_parts] += pack(event_hash, base + i, at, len(raw))
            indexed += 1
            if reads is not None and event_type not in reads:
                continue  # its id is indexed: a repeat of it is still settled
            case_key = encode(case_id)
            cases[crc32(case_key) % parts].append(
                line_record(case_key, base + i, encode(event_type), encode(event_id), raw))
        lines = len(pieces)
        _TICK(lines % TICK)
        del pieces
        records = sum(map(len, cases))
        id_files: list[Path | None] = []
        for q, packed in enumerate(ids):
            id_files.append(job.workdir / f"ids{chunk}-q{q}.bin" if packed else None)
            if packed:
                id_files[-1].write_bytes(packed)
        return _Scanned(lines, indexed, records,
                        _write_sorted(job.workdir, f"case{chunk}", cases),
                        id_files, _problem_runs(job.workdir, f"scan{chunk}", problems))


def _write_sorted(workdir: Path, prefix: str, parts: list[list]) -> list[Path]:
    """One sorted run per partition (an empty one too: the lists stay aligned)."""
    paths = []
    for n, records in enumerate(parts):
        records.sort()
        path = workdir / f"{prefix}-p{n}.run"
        write_run(path, records)
        paths.append(path)
        parts[n] = []
    return paths


def _problem_runs(workdir: Path, name: str, problems: list[ProblemRecord]) -> list[Path]:
    if not problems:
        return []
    problems.sort()
    path = workdir / f"problems-{name}.run"
    write_run(path, problems)
    return [path]


@dataclass(frozen=True)
class _Settled:
    exclusion_runs: list[Path]  # per case partition: the lines that conflict
    problem_runs: list[Path]


def _hashes(index: bytes) -> memoryview:
    """The event_id hashes of an id file (`_ID`), read in C."""
    return memoryview(index).cast("q")[::_ID_FIELDS]


def _settle(task: tuple[int, list[Path]]) -> _Settled:
    """The event ids of one id partition given on more than one line, settled as
    `read_events` does: the first valid line stays, a later valid line with other content
    is a conflict (reported), with the same content a repeat; both are left out of their
    case. The ids are first told apart by hash, in a dict; only the lines of a hash seen
    twice are read back and validated."""
    part, files = task
    job = _JOB
    excluded: list[list[bytes]] = [[] for _ in range(job.partitions)]
    problems: list[ProblemRecord] = []
    with _collector_paused():
        counts: Counter[int] = Counter()
        for path in files:
            counts.update(_hashes(path.read_bytes()))
        repeated = {h for h, n in counts.items() if n > 1}
        del counts
        lines: list[tuple[int, int, int]] = []  # position, offset, length
        for path in files if repeated else ():
            data = path.read_bytes()
            lines += [r[1:] for r in compress(_ID.iter_unpack(data),
                                              map(repeated.__contains__, _hashes(data)))]
        first: dict[str, tuple[int, Envelope]] = {}
        with job.path.open("rb") as f:
            for position, offset, length in sorted(lines):
                f.seek(offset)
                event = valid_event(f.read(length), job.now)
                if type(event) is str:
                    continue  # reported with its case
                owner = first.setdefault(event.event_id, (position, event))
                if owner[1] is event:
                    continue
                excluded[partition(event.case_id, job.partitions)].append(
                    exclusion(event.case_id, position))
                if owner[1] != event:
                    problems.append((position, None, event.event_id, owner[0]))
    return _Settled(_write_sorted(job.workdir, f"excl{part}", excluded),
                    _problem_runs(job.workdir, f"settle{part}", problems))


@dataclass(frozen=True)
class _Evaluated:
    output: Path
    problem_runs: list[Path]
    cases: int
    worked: int


def _cases(task: tuple[int, list[Path], list[Path]]) -> _Evaluated:
    """One case partition: its cases in order, each through `work`."""
    part, runs, exclusion_runs = task
    job = _JOB
    problems = RunWriter(job.workdir, f"problems-cases{part}")
    counted = [0, 0, 0]  # cases, cases worked on, records since the last tick

    def case(case_key: bytes, lines: list[Line]) -> Sequence[tuple]:
        counted[0] += 1
        if counted[2] >= TICK:
            _TICK(counted[2])
            counted[2] = 0
        lines = selected(lines, job.selection)
        case_id = text_of(case_key)
        events = case_events(case_id, lines, job.now, problems.add) if lines else None
        counted[1] += bool(events)
        return job.work(case_id, events) if events else ()

    def records() -> Iterator[tuple]:
        excluded = merge(exclusion_runs)
        skip = next(excluded, None)
        current, lines = None, []
        for record in merge(runs):
            counted[2] += 1
            case_key, *line = read_line(record)
            if case_key != current:
                if current is not None:
                    yield from case(current, lines)
                current, lines = case_key, []
            if skip is not None:
                prefix = line_prefix(record)
                while skip is not None and skip < prefix:
                    skip = next(excluded, None)
                if skip == prefix:
                    continue
            lines.append(line)
        if current is not None:
            yield from case(current, lines)

    output = job.workdir / f"output-p{part}.run"
    with _collector_paused():
        write_run(output, records())
    _TICK(counted[2])
    return _Evaluated(output, problems.close(), counted[0], counted[1])


# ------------------------------------------------------------------------------- driver

@dataclass
class Replay:
    """What a replay produced: problems in input order, `work`'s records in order."""

    lines_before: list[int] | None  # per chunk: the lines of the chunks before it; None
    # for an archive (`replay_groups`), whose problems name their event instead of a line
    problem_runs: list[Path]
    output_runs: list[Path]
    cases: int  # with a line read (of a type the selection reads)
    worked: int  # handed to `work`
    events: int  # lines read as an event (before validation and conflicts)

    def line(self, position: int) -> int:
        chunk, index = position >> POSITION_BITS, position & ((1 << POSITION_BITS) - 1)
        return self.lines_before[chunk] + index + 1

    def problems(self) -> Iterator[str]:
        """Each problem as a line of text, in input order."""
        for position, reason, event_id, first in merge(self.problem_runs):
            if self.lines_before is None:
                yield f"event {event_id!r}: " + (reason or "conflicts with an earlier copy; "
                                                           "the first stays")
            else:
                yield str(Problem(self.line(position), reason if reason is not None
                                  else conflict_reason(event_id, self.line(first))))

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


def cpu_jobs() -> int:
    """One process per CPU, up to 8 (1 where processes cannot fork)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def default_jobs(size: int, min_bytes: int) -> int:
    """One process for a file under `min_bytes`, else `cpu_jobs()`."""
    return 1 if size < min_bytes else cpu_jobs()


def replay(path: Path, now: datetime, work: Work, workdir: Path, jobs: int,
           selection: Selection | None = None,
           labels: tuple[str, str] = ("读取 reading", "评估 evaluating")) -> Replay:
    """Run `work` over every case of the file at `path` (a regular file) as read at `now`,
    or the lines a `selection` chooses, by `jobs` processes, with temporary files in
    `workdir`; progress on a terminal."""
    global _JOB, _TICK
    size = path.stat().st_size
    parts = 1 if jobs <= 1 else jobs * PARTITIONS_PER_JOB
    chunk_bytes = CHUNK_BYTES if jobs <= 1 else \
        max(MIN_CHUNK_BYTES, min(CHUNK_BYTES, size // (jobs * PARTITIONS_PER_JOB) + 1))
    tasks = chunks(path, chunk_bytes)
    context = multiprocessing.get_context("fork") if jobs > 1 else None
    counter = context.Value("q", 0) if context else None
    _JOB = _Job(path, now, workdir, parts, max(1, -(-size // ID_PARTITION_BYTES)), work, selection)
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
    settled = runner.map(_settle, [(q, [s.id_files[q] for s in scanned if s.id_files[q]])
                                   for q in range(_JOB.id_partitions)], None)
    case_tasks = [(p, [s.case_runs[p] for s in scanned],
                   [x.exclusion_runs[p] for x in settled]) for p in range(parts)]
    with Progress(labels[1], "events", total=sum(s.records for s in scanned)) as evaluating:
        evaluated = runner.map(_cases, case_tasks, evaluating)
    problem_runs = [r for s in scanned for r in s.problem_runs]
    problem_runs += [r for x in settled for r in x.problem_runs]
    problem_runs += [r for e in evaluated for r in e.problem_runs]
    return Replay(lines_before, problem_runs, [e.output for e in evaluated],
                  sum(e.cases for e in evaluated), sum(e.worked for e in evaluated),
                  sum(s.events for s in scanned))


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
