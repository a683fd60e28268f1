"""What is news: a subject's current state against what a target was last told.

A repeat of the same level and status is never sent again; a higher level is an
escalation, a lower one a change (an extension moved the due); a resolution is sent only
where the open state was sent.
"""

from notify.alert import LEVEL_RANK, Alert
from notify.notification import Change


def change(last: str | None, alert: Alert) -> Change | None:
    """`last` is the "level/status" last sent to the target, None if nothing was."""
    if alert.is_open:
        if last is None:
            return "new"
        if last == alert.state():
            return None
        last_level, _, last_status = last.partition("/")
        if last_status != "open":
            return "new"  # re-opened under the same id (e.g. a notice exemption ended)
        if LEVEL_RANK.get(alert.level, 0) > LEVEL_RANK.get(last_level, 0):
            return "escalated"
        return "changed"
    if last is None or not last.endswith("/open"):
        return None  # nobody was told it was open
    return "resolved"
