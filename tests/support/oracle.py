"""The oracle: `casewatch evaluate` over the published events at one instant, compared
with the warnings' current state on the warnings topic and in ClickHouse.

Compared per warning: id, level, status. A warning the live pipeline published and later
withdrew because a later event showed it was never due has no line in `evaluate`; such a
warning must be `withdrawn`, anything else there is a mismatch. A system warning (a case
the worker set aside) is not the rules' and has no line in `evaluate` either: at the end it
must be resolved (the case processed after all), anything else is a mismatch.
"""

import json
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.support.worker_process import VENV_BIN

State = tuple[str, str]  # (level, status)


def evaluate(events: list[dict], at: datetime, workdir: Path,
             catalogue: Path | None = None) -> dict[str, State]:
    """warning_id -> (level, status) of every warning `casewatch evaluate --at` prints
    (under the rule set in `catalogue`, default the installed one)."""
    path = workdir / "oracle-events.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for event in events:
            f.write(json.dumps(event, ensure_ascii=False) + "\n")
    proc = subprocess.run([str(VENV_BIN / "casewatch"), "evaluate", str(path),
                           "--at", at.isoformat(),
                           *(["--catalogue", str(catalogue)] if catalogue else [])],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"evaluate exited {proc.returncode}: {proc.stderr[-2000:]}"
    out = {}
    for line in proc.stdout.splitlines():
        w = json.loads(line)
        out[w["warning_id"]] = (w["level"], w["status"])
    return out


def last_on_topic(records) -> dict[str, dict]:
    """The last message per warning_id (a warning's messages share its case's partition,
    so the last by offset is its current state)."""
    out = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        w = json.loads(record.value)
        out[w["warning_id"]] = w
    return out


def states(warnings: dict[str, dict]) -> dict[str, State]:
    return {wid: (w["level"], w["status"]) for wid, w in warnings.items()}


def about(warnings: dict[str, dict]) -> dict[str, str]:
    """warning_id -> where it comes from, to make a failure message actionable."""
    return {wid: f"{w['case_id']}/{w['person_id']}/{w['rule_id']} due {w['due_at']}"
            for wid, w in warnings.items()}


def current_in_clickhouse(client, db: str) -> dict[str, State]:
    """Each warning's current state in warning_history: the row written last, by
    (kafka_offset, emitted_at, changed_at), as sinks/clickhouse/queries.py reads it."""
    rows = client.execute(
        f"SELECT warning_id, argMax(level, (kafka_offset, emitted_at, changed_at)), "
        f"argMax(status, (kafka_offset, emitted_at, changed_at)) "
        f"FROM {db}.warning_history GROUP BY warning_id")
    return {wid: (level, status) for wid, level, status in rows}


@dataclass
class Comparison:
    where: str
    expected: int
    about: dict[str, str]
    matching: int = 0
    missing: list[str] = field(default_factory=list)
    different: list[tuple[str, State, State]] = field(default_factory=list)
    extra_not_withdrawn: list[tuple[str, State]] = field(default_factory=list)
    extra_withdrawn: int = 0
    extra_system_resolved: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.different or self.extra_not_withdrawn)

    def __str__(self) -> str:
        return (
            f"{self.where}: {self.matching} of {self.expected} warnings of evaluate match; "
            f"{len(self.missing)} missing {self._about(self.missing)}; "
            f"{len(self.different)} with another state (evaluate -> {self.where}: "
            f"{dict(self.state_counts())}) {self._about(d[0] for d in self.different)}; "
            f"{len(self.extra_not_withdrawn)} unknown to evaluate and not withdrawn "
            f"{self.extra_not_withdrawn[:5]} {self._about(e[0] for e in self.extra_not_withdrawn)}"
            f"; {self.extra_withdrawn} withdrawn extras; {self.extra_system_resolved} resolved "
            f"system warnings")

    def _about(self, ids) -> list[str]:
        return [f"{wid} ({self.about.get(wid, '?')})" for wid in list(ids)[:5]]

    def state_counts(self) -> Counter:
        return Counter(f"{e}->{a}" for _, e, a in self.different)


def compare(expected: dict[str, State], actual: dict[str, State], where: str,
            about: dict[str, str] | None = None) -> Comparison:
    """`about` describes warnings by id (case, person, rule, due) for the failure message."""
    c = Comparison(where, len(expected), about or {})
    for wid, state in expected.items():
        if wid not in actual:
            c.missing.append(wid)
        elif actual[wid] != state:
            c.different.append((wid, state, actual[wid]))
        else:
            c.matching += 1
    for wid, state in actual.items():
        if wid not in expected:
            if state[1] == "withdrawn":
                c.extra_withdrawn += 1
            elif state == ("system", "resolved"):
                c.extra_system_resolved += 1
            else:
                c.extra_not_withdrawn.append((wid, state))
    return c
