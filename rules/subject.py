"""One subject's rules as a walk over its events in force, in order of legal effect.

A subject is a person (its own events and the case-level ones) or the case itself (the
case-level events). `SubjectFold.step` applies the next event: the open obligations whose
rule reads its type move, the rules it triggers open new obligations, the checks that read
its type go on, the person's measure spells follow. Every part declares the event types it
reads (`rules.obligations.moved_by`, a check type's `reads`, a measure's starts and ends),
so a new rule or check type needs nothing here.

`Engine.evaluate_subject` walks a whole history with it and reads the result at `now`; the
worker keeps a fold between events (`dump`/`load` persist it as a small JSON value) and
steps it with each event that comes in order, so an event costs the same whatever the
subject's history.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from rules.checks import CHECKS, State
from rules.measures import Mark, Spell, step_spells
from rules.obligations import Run, ViolationHit
from rules.periods import Due
from schemas.enums import Level
from schemas.event import Envelope

RunKey = tuple[str, str]  # (rule_id, trigger event_id)


class Step:
    """What one event did to a fold."""

    __slots__ = ("moved", "opened", "hits", "spells")

    def __init__(self) -> None:
        self.moved: list[Run] = []  # open or ended by it, in creation order
        self.opened: list[Run] = []
        self.hits: list[ViolationHit] = []  # in the order of precedence
        self.spells = False  # a measure spell started or ended


class SubjectFold:
    __slots__ = ("engine", "subject", "case_id", "runs", "checks", "spells", "history",
                 "check_hits")

    def __init__(self, engine, subject: str | None, case_id: str = "", keep: bool = False):
        """`keep`: remember every obligation and violation (a whole history's evaluation);
        otherwise an ended obligation leaves the fold with the step that ended it."""
        self.engine = engine
        self.subject = subject
        self.case_id = case_id
        self.runs: dict[RunKey, Run] = {}  # open obligations, in creation order
        self.checks: dict[str, State] = {r.id: CHECKS[r.check["type"]].start(r.check)
                                         for r in engine.checked}
        self.spells: dict[str, Spell] = {}  # measures of a person
        self.history: dict[RunKey, Run] | None = {} if keep else None
        self.check_hits: dict[str, list[ViolationHit]] | None = (
            {r.id: [] for r in engine.checked} if keep else None)

    def step(self, event: Envelope) -> Step:
        """Apply the next event in force (in order of legal effect)."""
        engine = self.engine
        self.case_id = event.case_id
        out = Step()
        kind = event.event_type
        keep = self.history is not None
        ended = []
        for key, run in self.runs.items():
            if kind not in run.moves:
                continue
            violations = run.ob.violations
            seen = len(violations)
            if run.advance(event):
                out.moved.append(run)
            if len(violations) > seen:
                out.hits.extend(violations[seen:])
                if not keep:
                    violations.clear()  # reported: the caller publishes them
            if run.ended:
                ended.append(key)
        for key in ended:
            del self.runs[key]
        for rule in engine.catalogue.by_trigger.get(kind, ()):
            if rule.case_level != (self.subject is None) or not rule.trigger.matches(event):
                continue
            run = Run(rule, event, engine.counter)
            key = (rule.id, event.event_id)
            self.runs[key] = run
            if keep:
                self.history[key] = run
            out.opened.append(run)
        for rule in engine.check_readers.get(kind, ()):
            self.checks[rule.id], hits = CHECKS[rule.check["type"]].step(
                rule, self.checks[rule.id], event)
            if hits:
                out.hits.extend(hits)
                if keep:
                    self.check_hits[rule.id].extend(hits)
        if self.subject is not None and kind in engine.measure_reads:
            out.spells = step_spells(engine.measures, self.spells, event)
        return out

    def due_of(self, now: datetime) -> Callable[[str | None, str], datetime | None]:
        """The current due of an open obligation at `now`, for a measure's state."""
        def due(rule_id: str | None, trigger_id: str) -> datetime | None:
            run = self.runs.get((rule_id, trigger_id))
            return None if run is None else run.read(now).open_due
        return due

    def forget(self) -> None:
        """Stop remembering ended obligations and reported violations: from now on a step
        reports them and they leave the fold."""
        self.history = self.check_hits = None
        for run in self.runs.values():
            run.ob.violations.clear()

    # ------------------------------------------------------------------ persistence

    def dump(self) -> dict:
        """The fold as a value for `orjson.dumps` (open obligations, checks, spells; times
        as datetimes, which orjson writes in RFC 3339)."""
        return {
            "runs": [_dump_run(run) for run in self.runs.values()],
            "checks": self.checks,
            "spells": {name: [_dump_mark(s), None if e is None else _dump_mark(e)]
                       for name, (s, e) in self.spells.items()},
        }

    @classmethod
    def load(cls, engine, subject: str | None, case_id: str, data: dict,
             trigger: Callable[[str], Envelope]) -> "SubjectFold":
        """The inverse of `dump`; `trigger(event_id)` gives an open obligation's trigger."""
        fold = cls(engine, subject, case_id)
        for item in data["runs"]:
            run = _load_run(engine, item, trigger(item["trigger"]))
            fold.runs[(run.rule.id, run.trigger.event_id)] = run
        fold.checks.update((k, v) for k, v in data["checks"].items() if k in fold.checks)
        fold.spells = {name: (_load_mark(s), None if e is None else _load_mark(e))
                       for name, (s, e) in data["spells"].items()}
        return fold


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _dump_mark(mark: Mark) -> list:
    return [mark.event_id, mark.at, mark.unit_id]  # orjson writes times as RFC 3339


def _load_mark(data: list[str]) -> Mark:
    return Mark(data[0], datetime.fromisoformat(data[1]), data[2])


def _dump_run(run: Run) -> dict:
    ob = run.ob
    return {
        "rule": run.rule.id, "trigger": run.trigger.event_id, "anchor": run.anchor,
        "step": run.step, "lead": run.lead.total_seconds(), "phase": run.phase_start,
        "suspended": run.suspended_at, "due": ob.due.at, "provisional": ob.due.provisional,
        "level": None if ob.level is None else ob.level.value, "level_at": ob.level_at,
        "evidence": ob.evidence, "extensions": ob.extensions, "moved": ob.moved_at,
    }


def _load_run(engine, data: dict, trigger: Envelope) -> Run:
    run = Run(engine.catalogue.by_id[data["rule"]], trigger, engine.counter)
    run.anchor = _time(data["anchor"])
    run.step = data["step"]
    run.lead = timedelta(seconds=data["lead"])
    run.phase_start = _time(data["phase"])
    run.suspended_at = _time(data["suspended"])
    ob = run.ob
    ob.due = Due(_time(data["due"]), data["provisional"])
    ob.level = None if data["level"] is None else Level(data["level"])
    ob.level_at = _time(data["level_at"])
    ob.evidence = list(data["evidence"])
    ob.extensions = data["extensions"]
    ob.moved_at = _time(data["moved"])
    return run
