"""A delivery attempt as the record the sink writes to ClickHouse `notifications`."""

from datetime import datetime

from notify.delivery import Attempt
from notify.notification import Notification
from schemas.delivery import DeliveryAttempt


def attempt_record(held: Notification, attempt: Attempt, at: datetime) -> DeliveryAttempt:
    """`held` is the notification after the notifier counted the attempt."""
    status = "sent" if attempt.ok else ("failed" if attempt.final else "retrying")
    if held.bulletin is not None:  # a daily bulletin's notification holds no items
        subjects, changes = [f"bulletin/{held.bulletin.bulletin_id}"], ["bulletin"]
    else:
        subjects, changes = [i.key for i in held.items], [i.change for i in held.items]
    return DeliveryAttempt(
        notification_id=held.notification_id, attempt=max(1, held.attempts), status=status,
        receiver=held.receiver, receiver_kind=held.receiver_kind, reason=held.reason,
        unit_id=held.unit_id, group_key=",".join(f"{k}={v}" for k, v in held.group.items()),
        subjects=subjects, changes=changes,
        more=held.more, title=attempt.title[:500], error=attempt.error, latency_ms=max(
            0, attempt.latency_ms), created_at=held.created_at, attempted_at=at)

