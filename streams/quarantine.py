"""Quarantine: a case casewatch cannot process is set aside, not allowed to stop the rest.

A case whose stored state cannot be restored, or whose history cannot be evaluated (a rules
bug, or an item an upgrade no longer reads), gets a `q` item (`schemas.case_state.
Quarantine`) and a system warning 案件处理异常 naming it. Its partition goes on; the case's
new events are kept in order as `x:<offset>` items, not evaluated. When the partition is
next taken up (a restart, typically after a fix), the worker tries each quarantined case
again: restored and evaluated with its kept events, it leaves quarantine (the items are
deleted by tombstones) and its system warning is resolved.
"""

from datetime import datetime

from rules.system import CASE_PROCESSING_ERROR, system_warning
from schemas.case_state import Quarantine
from streams.case_items import PENDING_PREFIX


def pending_item(offset: int) -> str:
    return f"{PENDING_PREFIX}{offset:020d}"


def pending_offset(item: str) -> int:
    return int(item[len(PENDING_PREFIX):])


def quarantine(case_id: str, unit_id: str, reason: str, exc: BaseException,
               at: datetime) -> Quarantine:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    warning = system_warning(CASE_PROCESSING_ERROR, case_id, unit_id, at, error)
    return Quarantine(reason=reason, error=error, since=at, warning=warning)


def released(q: Quarantine, at: datetime):
    """The system warning of a case that left quarantine: resolved."""
    w = q.warning
    return system_warning(CASE_PROCESSING_ERROR, w.case_id, w.unit_id, at, q.error,
                          resolved=True)
