"""Sizes and durations of the fault tests: the issue's numbers by default, each
overridable by an environment variable (e.g. CASEWATCH_FAULT_EVENTS=5000 while iterating)."""

import os
import random
from dataclasses import dataclass


def _env(name: str, default: float) -> float:
    return float(os.environ.get(f"CASEWATCH_FAULT_{name}", default))


@dataclass(frozen=True)
class Scale:
    events: int  # generated events per test
    kills: int  # SIGKILLs of the worker while they flow
    malformed: int  # malformed messages mixed with valid ones
    valid_with_malformed: int  # valid events published among them
    publish_seconds: float  # how long the events take to publish
    clickhouse_down_seconds: float
    seed: int  # random moments and messages; printed so a failure can be replayed

    @classmethod
    def from_env(cls) -> "Scale":
        scale = cls(
            events=int(_env("EVENTS", 20_000)),
            kills=int(_env("KILLS", 10)),
            malformed=int(_env("MALFORMED", 10_000)),
            valid_with_malformed=int(_env("VALID_WITH_MALFORMED", 5_000)),
            publish_seconds=_env("PUBLISH_SECONDS", 40),
            clickhouse_down_seconds=_env("CLICKHOUSE_DOWN_SECONDS", 60),
            seed=int(_env("SEED", random.randrange(1_000_000))),
        )
        print(f"fault scale: {scale}")
        return scale
