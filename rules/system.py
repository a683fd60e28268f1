"""System warnings (`rules/system.toml`): casewatch's own trouble with a case, shown to staff
like a warning but with level and kind `system`, so they are never counted against a unit.
"""

import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from rules.ids import warning_id
from schemas.enums import Level, Status
from schemas.warning import Warning

SYSTEM_FILE = Path(__file__).with_name("system.toml")
CASE_PROCESSING_ERROR = "case_processing_error"
UNREGISTERED_UNIT = "unregistered_unit"


@dataclass(frozen=True, slots=True)
class SystemRule:
    id: str
    title_zh: str
    title_en: str
    message_zh: str
    message_en: str
    resolved_zh: str
    resolved_en: str


@cache
def system_rules(path: Path = SYSTEM_FILE) -> dict[str, SystemRule]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {rule_id: SystemRule(rule_id, **fields) for rule_id, fields in data.items()}


def system_warning(rule_id: str, case_id: str, unit_id: str, at: datetime, detail: str,
                   resolved: bool = False, subject: str = "") -> Warning:
    """The system warning `rule_id` about a case (one per case and `subject`), open or
    resolved at `at`."""
    rule = system_rules()[rule_id]
    zh, en = (rule.resolved_zh, rule.resolved_en) if resolved else (rule.message_zh,
                                                                    rule.message_en)
    return Warning(
        warning_id=warning_id(rule_id, case_id, None, subject),
        rule_id=rule_id,
        rule_kind="system",
        level=Level.system,
        status=Status.resolved if resolved else Status.open,
        late=None,
        case_id=case_id,
        person_id=None,
        unit_id=unit_id,
        due_at=None,
        resolved_at=at if resolved else None,
        changed_at=at,
        evidence=[],
        basis=[],
        message_zh=f"【系统】案件 {case_id}：{zh.format(detail=detail)}",
        message_en=f"[system] case {case_id}: {en.format(detail=detail)}",
    )
