"""Items and routing files for the notifier's unit tests (a controllable clock: every
call takes `now`)."""

import tomllib
from datetime import datetime, timedelta, timezone

from notify.alert import Alert
from notify.config import Config

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=CST)

BASE = """
console_url = "https://cw.example"
[defaults]
group_by = ["unit_id"]
group_wait = "30s"
group_interval = "5m"
max_items = 3

[[receivers]]
name = "duty"
kind = "webhook"
url = "https://duty.example/hook"
[[receivers]]
name = "leader"
kind = "webhook"
url = "https://leader.example/hook"
[[receivers]]
name = "centre"
kind = "webhook"
url = "https://centre.example/hook"

[units.U1]
duty = "duty"
leader = "leader"
[units."*"]
duty = "duty"
"""

ROUTES = """
[[routes]]
name = "units"
match = { source = ["warning"] }
receivers = ["@unit.duty"]
"""


def config(extra: str = ROUTES) -> Config:
    return Config.model_validate(tomllib.loads(BASE + extra))


def warning(wid: str, level: str = "overdue", status: str = "open", unit: str = "U1",
            rule: str = "det_family_notice", case: str = "C1", person: str | None = "P1",
            changed_at: datetime = T0, due_at: datetime | None = T0) -> Alert:
    return Alert(source="warning", subject_id=wid, status=status, level=level, unit_id=unit,
                 rule_id=rule, rule_kind="statutory", case_id=case, person_id=person,
                 changed_at=changed_at, due_at=due_at, message_zh=f"预警{wid}",
                 message_en=f"warning {wid}", link=f"/warning/{wid}")


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)
