"""`casewatch evaluate` as it was before it streamed: the whole file read into memory with
`cli.jsonl.read_events`, cases grouped, every warning sorted. The reference the replay
from disk (cli/replay.py) must equal byte for byte."""

from collections import defaultdict
from datetime import datetime
from pathlib import Path

from cli.evaluate import sort_key
from cli.jsonl import Problem, read_events
from rules.engine import Engine


def evaluate_in_memory(path: Path, now: datetime, engine: Engine) -> tuple[str, str]:
    """(standard output, standard error) of `evaluate --format jsonl` over `path`."""
    cases = defaultdict(list)
    problems = []
    with path.open("rb") as f:
        for _, item in read_events(f, now):
            if isinstance(item, Problem):
                problems.append(f"{item}\n")
            else:
                cases[item.case_id].append(item)
    warnings = [w for events in cases.values() for w in engine.evaluate_case(events, now).warnings]
    warnings.sort(key=sort_key)
    return "".join(w.model_dump_json() + "\n" for w in warnings), "".join(problems)
