"""A notification: one message to one receiver, its items, and its delivery state.

Kept in the notifier's state topic from the moment it is decided until it is delivered
(then removed) or has failed (kept, for a retry from the console). Its id is the key a
receiver can deduplicate by: every copy of one notification carries the same id.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas.bulletin import BulletinRecord
from schemas.timefmt import CstDatetime

Change = Literal["new", "escalated", "changed", "resolved", "step", "notice"]
CHANGE_ZH = {"new": "新增", "escalated": "升级", "changed": "变化", "resolved": "已解除",
             "step": "逐级提醒", "notice": "节点告知"}
CHANGE_EN = {"new": "new", "escalated": "escalated", "changed": "changed",
             "resolved": "resolved", "step": "escalation", "notice": "key node"}


class Item(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str  # the subject's key (source/subject_id)
    change: Change
    level: str
    status: str
    unit_id: str
    rule_id: str
    case_id: str
    person_id: str | None
    due_at: CstDatetime | None
    message_zh: str
    message_en: str
    link: str
    extra: dict[str, str] = {}  # further labels (a lawyer notice's node and lawyer_id)


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)

    notification_id: str
    reason: str  # "route:<name>" or "escalation:<policy>#<step>"
    receiver: str
    receiver_kind: str
    group: dict[str, str]  # the group's label values
    created_at: CstDatetime
    items: list[Item]
    more: int = 0  # items left out by the digest cap
    bulletin: BulletinRecord | None = None  # a daily bulletin's (then without items)
    status: Literal["pending", "failed"] = "pending"
    attempts: int = 0
    last_error: str = ""

    @property
    def unit_id(self) -> str:
        return self.group.get("unit_id") or (self.items[0].unit_id if self.items else "")

    def age(self, now: datetime) -> float:
        return max(0.0, (now - self.created_at).total_seconds())
