"""A command's wall time, CPU time and memory, as the benchmarks report them.

Memory is given two ways: the peak resident set of the largest process of the command's
tree (the kernel's own figure, from wait4), and the peak of the whole tree's resident sets
summed (sampled from /proc every quarter second, so a peak shorter than that may be missed).
"""

import os
import platform
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def rss_mib(pid: int) -> dict[str, float]:
    """Resident memory (MiB) of a process and, summed, of its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))

    def rss(p: int) -> float:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    descendants, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        descendants.append(p)
        todo.extend(children.get(p, []))
    return {"worker": rss(pid), "children": sum(rss(p) for p in descendants)}


@dataclass(frozen=True)
class Measured:
    seconds: float
    cpu_seconds: float  # user + system, the command and every process it waited for
    peak_process_mib: float  # the largest process
    peak_tree_mib: float  # the whole tree at once (sampled)
    returncode: int


def measure(argv: list[str], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env: dict[str, str] | None = None) -> Measured:
    started = time.perf_counter()
    proc = subprocess.Popen([str(a) for a in argv], stdout=stdout, stderr=stderr, env=env)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            rss = rss_mib(proc.pid)
            peak[0] = max(peak[0], rss["worker"] + rss["children"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    err = proc.stderr.read() if stderr == subprocess.PIPE else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{argv[1:3]} exited {proc.returncode}: {err[-2000:]!r}")
    return Measured(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak[0],
                    proc.returncode)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    nproc = len(os.sched_getaffinity(0))
    return (f"nproc {nproc} ({cpu}), {mem:.1f} GiB RAM, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")
