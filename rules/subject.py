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
from rules.ids import warning_id
from rules.measures import Mark, Spell, step_spells
from rules.obligations import Run, ViolationHit
from rules.periods import Due
from schemas.enums import Level
from schemas.event import Envelope

RunKey = tuple[str, str]  # (rule_id, trigger event_id)


class Step:
    """What one event did to a fold."""

    __slots__ = ("moved", "opened", "hits", "taken_back", "spells")

    def __init__(self) -> None:
        self.moved: list[Run] = []  # open or ended by it, in creation order
        self.opened: list[Run] = []
        self.hits: list[ViolationHit] = []  # in the order of precedence
        self.taken_back: list[str] = []  # warning ids of violations no longer raised
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
            if run.waiting:  # for its period's start: it may start, or go, but raises nothing
                if run.advance(event) or run.ended:
                    out.moved.append(run)
                if run.ended:
                    ended.append(key)
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
            self.checks[rule.id], hits, back = CHECKS[rule.check["type"]].step(
                rule, self.checks[rule.id], event)
            if hits:
                out.hits.extend(hits)
                if keep:
                    self.check_hits[rule.id].extend(hits)
            for event_id, person_id, part in back:
                out.taken_back.append(warning_id(rule.id, self.case_id, person_id, event_id,
                                                 part))
                if keep:
                    self.check_hits[rule.id] = [h for h in self.check_hits[rule.id] if (
                        h.event.event_id, h.part) != (event_id, part)]
        if self.subject is not None and kind in engine.measure_reads:
            out.spells = step_spells(engine.measures, self.spells, event)
        return out

    def due_of(self, now: datetime) -> Callable[[str | None, str], datetime | None]:
        """The current due of an open obligation at `now`, for a measure's state."""
        def due(rule_id: str | None, trigger_id: str) -> datetime | None:
            run = self.runs.get((rule_id, trigger_id))
            ob = None if run is None else run.read(now)
            return None if ob is None else ob.open_due
        return due

    def forget(self) -> None:
        """Stop remembering ended obligations and reported violations: from now on a step
        reports them and they leave the fold."""
        self.history = self.check_hits = None
        for run in self.runs.values():
            if run.ob is not None:
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
            run = _load_run(engine, item, trigger(item[1]))
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


def _dump_run(run: Run) -> list:
    """A run as a list (the fold is written with every event of its subject: short is
    cheap); a run waiting for its period's start is its rule and trigger only."""
    if run.waiting:
        return [run.rule.id, run.trigger.event_id]
    ob = run.ob
    return [run.rule.id, run.trigger.event_id, run.anchor, run.step, run.lead.total_seconds(),
            run.phase_start, run.suspended_at, ob.due.at, ob.due.provisional,
            None if ob.level is None else ob.level.value, ob.level_at, ob.evidence,
            ob.extensions, ob.moved_at]


def _load_run(engine, data: list, trigger: Envelope) -> Run:
    run = Run(engine.catalogue.by_id[data[0]], trigger, engine.counter)
    if len(data) == 2:
        return run  # waiting for its period's start
    if run.waiting:
        run._begin(trigger)  # started: the start itself is restored below
    (_, _, anchor, run.step, lead, phase, suspended, due, provisional, level, level_at,
     evidence, extensions, moved) = data
    run.anchor, run.lead, run.phase_start = _time(anchor), timedelta(seconds=lead), _time(phase)
    run.suspended_at = _time(suspended)
    ob = run.ob
    ob.due = Due(_time(due), provisional)
    ob.level = None if level is None else Level(level)
    ob.level_at, ob.evidence = _time(level_at), list(evidence)
    ob.extensions, ob.moved_at = extensions, _time(moved)
    return run
