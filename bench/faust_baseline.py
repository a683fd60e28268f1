"""Baselines for bench/pipeline_bench.py: plain Faust agents on the same topic.

    python bench/faust_baseline.py {empty|naive} BOOTSTRAP TOPIC PARTITIONS COUNT RESULT

empty: validates each event (`parse_event`), nothing else. naive: the same plus one update
per event of a memory-store table keyed by case_id (so one changelog message per event).
Writes the seconds from the first event to the COUNT-th to RESULT (JSON) and exits.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import faust

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support as a script

from schemas.event import parse_event
from tests.support.ports import free_port


def run(mode: str, bootstrap: str, topic: str, partitions: int, count: int, result: Path) -> None:
    app = faust.App(f"bench-{mode}-{uuid.uuid4().hex[:6]}", broker=f"kafka://{bootstrap}",
                    store="memory://", web_enabled=False, autodiscover=False,
                    consumer_auto_offset_reset="earliest", topic_partitions=partitions,
                    topic_replication_factor=1)
    source = app.topic(topic, key_type=bytes, value_type=bytes, key_serializer="raw",
                       value_serializer="raw")
    per_case = app.Table("per_case", default=int, partitions=partitions)
    seen, started = 0, 0.0

    @app.agent(source)
    async def consume(stream):
        nonlocal seen, started
        async for event in stream.events():
            if not seen:
                started = time.perf_counter()
            parsed = parse_event(event.value)
            if mode == "naive":
                per_case[parsed.case_id] += 1
            seen += 1
            if seen == count:
                result.write_text(json.dumps({"seconds": time.perf_counter() - started}))
                os._exit(0)

    app.main()


def measure(mode: str, bootstrap: str, topic: str, partitions: int, count: int,
            workdir: Path, timeout: float = 1800.0) -> float:
    """Run one baseline in a child process; the seconds it took for `count` events."""
    result = workdir / f"faust-{mode}.json"
    with (workdir / f"faust-{mode}.log").open("wb") as log:
        subprocess.run([sys.executable, __file__, mode, bootstrap, topic, str(partitions),
                        str(count), str(result), "worker", "--loglevel", "warn",
                        "--web-port", str(free_port())],
                       cwd=workdir, stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
                       check=False)
    if not result.exists():
        raise RuntimeError(f"faust {mode} baseline gave no result; see {workdir}")
    return json.loads(result.read_text())["seconds"]


if __name__ == "__main__":
    mode, bootstrap, topic, partitions, count, result = sys.argv[1:7]
    sys.argv = [sys.argv[0], *sys.argv[7:]]
    run(mode, bootstrap, topic, int(partitions), int(count), Path(result))
