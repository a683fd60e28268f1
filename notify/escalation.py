"""Escalation policies: steps that fire a set time after a warning reached its level, or
a set time before its due, while nobody acts on it.

A step fires once per occasion: its dedup value is the instant it is counted from (the
level's `changed_at`, or the due), so an extension that moves the due re-arms a
before-due step, and a warning that reaches its level again fires again. A step stops
when the warning is no longer open or its loop stage is in the policy's `stop_at`.
"""

from dataclasses import dataclass
from datetime import datetime

from notify.alert import Alert
from notify.config import Config, Escalation, Step
from notify.matchers import matches
from notify.routing import Target


@dataclass(frozen=True, slots=True)
class Firing:
    target: Target
    fires_at: datetime
    occasion: str  # the dedup value: which instant the step counts from


def step_time(step: Step, alert: Alert) -> tuple[datetime, str] | None:
    if step.after is not None:
        return alert.changed_at + step.after, f"{alert.level}@{alert.changed_at.isoformat()}"
    if alert.due_at is None:
        return None
    return alert.due_at - step.before_due, f"due@{alert.due_at.isoformat()}"


def applies(policy: Escalation, alert: Alert, stage: str) -> bool:
    return (alert.is_open and stage not in policy.stop_at
            and matches(policy.match, alert.labels(stage)))


def firings(config: Config, alert: Alert, stage: str) -> tuple[list[Firing], list[str]]:
    """Every step of every policy that applies to the alert now, due or not yet, and the
    receiver references that resolved to nothing for the alert's unit."""
    out, unresolved = [], []
    for policy in config.escalations:
        if not applies(policy, alert, stage):
            continue
        grouping = policy.grouping()
        for i, step in enumerate(policy.steps):
            timing = step_time(step, alert)
            if timing is None:
                continue
            for ref in step.receivers:
                receiver = config.resolve(ref, alert.unit_id)
                if receiver is None:
                    unresolved.append(f"escalation {policy.name}#{i + 1}: {ref} "
                                      f"for unit {alert.unit_id}")
                    continue
                target = Target(f"e/{policy.name}/{i + 1}/{receiver}",
                                f"escalation:{policy.name}#{i + 1}", receiver, grouping)
                out.append(Firing(target, timing[0], timing[1]))
    return out, unresolved
