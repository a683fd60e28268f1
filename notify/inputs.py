"""Records of the notifier's input topics as items (notify/alert.py) or loop stages.

One adapter per topic, each refusing what it cannot read (the notifier logs and counts
it, and goes on): warnings, warning actions, problems (the accepted records of
`problem-records`, schemas/problem.py), problem actions and lawyer notices.
"""

from typing import Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

from notify.alert import Alert
from rules.problem_types import problem_types
from schemas.lawyer_notice import LawyerNotice
from schemas.problem import SOURCE_ZH
from schemas.problem_action import ProblemAction
from schemas.timefmt import format_cst
from schemas.warning import Warning
from schemas.warning_action import WarningAction
from web.loop import STAGE_AFTER


def warning_alert(value: bytes) -> Alert:
    w = Warning.model_validate_json(value)
    return Alert(source="warning", subject_id=w.warning_id, status=w.status, level=w.level,
                 unit_id=w.unit_id, rule_id=w.rule_id, rule_kind=w.rule_kind,
                 case_id=w.case_id, person_id=w.person_id, changed_at=w.changed_at,
                 due_at=w.due_at, message_zh=w.message_zh, message_en=w.message_en,
                 link=f"/warning/{w.warning_id}")


def action_stage(value: bytes) -> tuple[str, str, int | None]:
    """(warning_id, the loop stage the action leads to, its step)."""
    action = WarningAction.model_validate_json(value)
    return action.warning_id, STAGE_AFTER[action.action], action.step


def problem_action_stage(value: bytes) -> tuple[str, str, int | None]:
    """(problem_id, the loop stage a problem action leads to, its step): the same loop as
    warnings'."""
    action = ProblemAction.model_validate_json(value)
    return action.problem_id, STAGE_AFTER[action.action], action.step


class ProblemRecord(BaseModel):
    """The fields of a problem record (`schemas/problem.py`, as the problems intake accepted
    it on `problem-records`) the notifier reads; others are ignored. A problem is open until
    its loop is verified (problem-actions: `Notifier.apply_stage(..., kind="problem")`); a
    record's own `stage` closing it counts too."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    problem_id: str = Field(min_length=1, max_length=128)
    source: str = Field(min_length=1, max_length=64)
    unit_id: str = Field(min_length=1, max_length=32)
    case_id: str | None = None  # a problem of a unit's conduct has no case
    person_id: str | None = None
    problem_type: str = Field(min_length=1, max_length=64)
    stage: str = "open"
    changed_at: AwareDatetime = Field(validation_alias=AliasChoices(
        "changed_at", "updated_at", "found_at", "created_at"))
    summary_zh: str = Field("", validation_alias=AliasChoices("summary_zh", "message_zh",
                                                               "title_zh"))
    summary_en: str = Field("", validation_alias=AliasChoices("summary_en", "message_en",
                                                               "title_en"))


CLOSED_STAGES = frozenset({"closed", "verified", "resolved", "withdrawn", "dismissed"})


def problem_alert(value: bytes) -> Alert:
    p = ProblemRecord.model_validate_json(value)
    status: Literal["open", "resolved"] = "resolved" if p.stage in CLOSED_STAGES else "open"
    known = problem_types().by_code.get(p.problem_type)
    title_zh, title_en = (known.title_zh, known.title_en) if known else (p.problem_type,) * 2
    where = SOURCE_ZH.get(p.source, p.source)
    zh = p.summary_zh or f"{where}发现问题：{title_zh}"
    en = p.summary_en or f"problem found ({p.source}): {title_en}"
    return Alert(source=f"problem/{p.source}", subject_id=p.problem_id, status=status,
                 level="problem", unit_id=p.unit_id, rule_id=p.problem_type,
                 rule_kind="problem", case_id=p.case_id or "", person_id=p.person_id,
                 changed_at=p.changed_at, message_zh=zh, message_en=en,
                 link=f"/problem/{p.problem_id}", extra={"problem_type": p.problem_type})


def notice_alert(value: bytes) -> Alert:
    n = LawyerNotice.model_validate_json(value)
    when = format_cst(n.occurred_at)[:16].replace("T", " ")
    refs = "、".join(b.ref for b in n.basis)
    return Alert(source="lawyer_notice", subject_id=n.notice_id, status="open", level="notice",
                 unit_id=n.unit_id, rule_id=n.node, rule_kind="lawyer_notice",
                 case_id=n.case_id, person_id=n.person_id, changed_at=n.occurred_at,
                 message_zh=f"{n.node_zh}（{when}）。依据：{refs}",
                 message_en=f"{n.node_en} at {when}. Basis: {refs}",
                 link="",  # lawyers have no console: the notice is the message
                 extra={"node": n.node, "lawyer_id": n.lawyer_id})
