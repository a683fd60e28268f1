"""A daily bulletin (schemas/bulletin.py) as notifications: routed like any item by its
labels (`kind = "bulletin"`, its `unit_id` if it is one unit's), one notification per
route and receiver, sent at once (no group_wait; silences and inhibition are for warnings
and problems, not for the bulletin).

The notification id is derived from the bulletin id and the target, so the same bulletin
to the same receiver is always the same notification (a receiver can drop a copy by it).
"""

import uuid
from datetime import datetime

from notify.config import Config
from notify.notification import Notification
from notify.routing import route_targets
from schemas.bulletin import BulletinRecord

_IDS = uuid.UUID("7d0f5a3e-3b1c-4e8a-9a57-0c6b2f1e4d21")  # the namespace of their ids


def labels(record: BulletinRecord) -> dict[str, str]:
    out = {"kind": "bulletin", "source": "bulletin", "subject_id": record.bulletin_id}
    if record.unit_id:
        out["unit_id"] = record.unit_id
    return out


def bulletin_notifications(config: Config, record: BulletinRecord, now: datetime
                           ) -> tuple[list[Notification], list[str]]:
    """The notifications of a bulletin, and the receiver references that led nowhere."""
    targets, unresolved = route_targets(config, labels(record))
    out, seen = [], set()
    for target in targets:
        if target.key in seen:  # a route naming one receiver twice
            continue
        seen.add(target.key)
        out.append(Notification(
            notification_id=uuid.uuid5(_IDS, f"{record.bulletin_id}/{target.key}").hex,
            reason=target.reason, receiver=target.receiver,
            receiver_kind=config.receiver(target.receiver).kind,
            group={"unit_id": record.unit_id} if record.unit_id else {}, created_at=now,
            items=[], bulletin=record))
    return out, unresolved
