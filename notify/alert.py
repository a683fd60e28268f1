"""What the notifier routes: one subject's current state (a warning, a problem, a lawyer
notice), whatever topic it came from. `notify/inputs.py` makes them from the records."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas.timefmt import CstDatetime

#: order of urgency; a change to a higher rank is an escalation
LEVEL_RANK = {"system": 0, "notice": 0, "problem": 1, "approaching": 1, "overdue": 2,
              "violation": 3}
LEVEL_ZH = {"approaching": "临期", "overdue": "超期", "violation": "违规", "system": "系统",
            "problem": "问题", "notice": "告知"}


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str  # "warning", "problem/<problem source>", "lawyer_notice"
    subject_id: str  # warning_id, problem_id, notice_id
    status: Literal["open", "resolved", "withdrawn"]
    level: str
    unit_id: str
    rule_id: str = ""
    rule_kind: str = ""
    case_id: str = ""
    person_id: str | None = None
    changed_at: CstDatetime
    due_at: CstDatetime | None = None
    message_zh: str
    message_en: str
    link: str  # a console path, e.g. /warning/<id>
    extra: dict[str, str] = {}  # further labels: problem_type, node, lawyer_id, ...

    @property
    def key(self) -> str:
        return f"{self.source.split('/')[0]}/{self.subject_id}"

    def labels(self, stage: str = "new") -> dict[str, str]:
        out = {"kind": self.source.split("/")[0], "source": self.source,
               "subject_id": self.subject_id, "status": self.status,
               "level": self.level, "unit_id": self.unit_id, "rule_id": self.rule_id,
               "rule_kind": self.rule_kind, "case_id": self.case_id, "stage": stage,
               **self.extra}
        if self.person_id:
            out["person_id"] = self.person_id
        return out

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def state(self) -> str:
        """What dedup compares: a repeat of the same level and status is not news."""
        return f"{self.level}/{self.status}"

    def at(self) -> datetime:
        return self.changed_at
