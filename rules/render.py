"""Obligations and violations as `Warning` records, with messages in Chinese and English,
and obligations as their life records (the JSON of `schemas.obligation_state.ObligationState`,
built directly: the worker builds, compares and publishes one per obligation and change)."""

from datetime import datetime
from functools import cache

from rules.catalogue_model import Rule
from rules.ids import warning_id
from rules.obligations import Obligation, ViolationHit
from schemas.enums import Level, Status
from schemas.obligation_state import LifeRecord
from schemas.timefmt import CST, format_cst
from schemas.warning import LegalBasis, Warning

_LEVEL_ZH = {Level.approaching: "临期", Level.overdue: "超期", Level.violation: "违规"}


def _status_suffix(status: Status, late: bool | None) -> tuple[str, str]:
    if status == Status.resolved:
        return ("（已办结，逾期）", " (resolved late)") if late else ("（已办结）", " (resolved)")
    if status == Status.withdrawn:
        return "（已撤回）", " (withdrawn)"
    return "", ""


def _local(at: datetime | None) -> str:
    return at.astimezone(CST).strftime("%Y-%m-%d %H:%M") if at else "-"


def _messages(rule: Rule, level, status, late, case_id, person_id, due_at,
              fill: dict[str, tuple[str, str]] | None = None) -> tuple[str, str]:
    """`fill`: further placeholders of the rule's messages, each as (zh, en)."""
    zh_tail, en_tail = _status_suffix(status, late)
    who_zh = f"案件 {case_id}" + (f" 人员 {person_id}" if person_id else "")
    who_en = f"case {case_id}" + (f", person {person_id}" if person_id else "")
    due = _local(due_at)
    fill = fill or {}
    message_zh, message_en = rule.message(level)
    body_zh = message_zh.format(due_at=due, **{k: v[0] for k, v in fill.items()})
    body_en = message_en.format(due_at=due, **{k: v[1] for k, v in fill.items()})
    zh = f"【{_LEVEL_ZH[level]}】{who_zh}：{body_zh}{zh_tail}"
    en = f"[{level.value}] {who_en}: {body_en}{en_tail}"
    return zh, en


def _basis(rule: Rule) -> list[LegalBasis]:
    return _basis_models(rule.basis)


@cache
def _basis_models(basis: tuple) -> list[LegalBasis]:
    return [LegalBasis(ref=b.ref, text_zh=b.text_zh) for b in basis]


def _person(ob: Obligation) -> str | None:
    return None if ob.rule.case_level else ob.trigger.person_id


def obligation_id(ob: Obligation) -> str:
    """The id of an obligation's warning and of its life record."""
    t = ob.trigger
    return warning_id(ob.rule.id, t.case_id, _person(ob), t.event_id)


def obligation_warning(ob: Obligation, provisional: bool, catalogue_version: str) -> Warning:
    t = ob.trigger
    person = _person(ob)
    zh, en = _messages(ob.rule, ob.level, ob.status, ob.late, t.case_id, person, ob.due.at)
    return Warning.model_construct(
        warning_id=obligation_id(ob),
        rule_id=ob.rule.id,
        rule_kind=ob.rule.kind,
        level=ob.level,
        status=ob.status,
        late=ob.late,
        case_id=t.case_id,
        person_id=person,
        unit_id=t.unit_id,
        due_at=ob.due.at,
        resolved_at=ob.resolved_at,
        changed_at=ob.changed_at,
        evidence=list(ob.evidence),
        basis=_basis(ob.rule),
        message_zh=zh,
        message_en=en,
        calendar_provisional=provisional,
        catalogue_version=catalogue_version,
    )


def obligation_state(ob: Obligation) -> LifeRecord:
    """The obligation's life record, as `ObligationState.model_dump(mode="json")` gives it."""
    t = ob.trigger
    changed = ob.moved_at
    for at in (ob.level_at, ob.status_at):
        if at is not None and at > changed:
            changed = at
    return {
        "obligation_id": obligation_id(ob),
        "rule_id": ob.rule.id,
        "rule_kind": ob.rule.kind,
        "case_id": t.case_id,
        "person_id": _person(ob),
        "unit_id": t.unit_id,
        "trigger_event_id": t.event_id,
        "triggered_at": format_cst(t.occurred_at),
        "due_at": format_cst(ob.due.at),
        "status": ob.status.value,
        "late": ob.late,
        "resolved_at": None if ob.resolved_at is None else format_cst(ob.resolved_at),
        "extensions": ob.extensions,
        "level": None if ob.level is None else ob.level.value,
        "changed_at": format_cst(changed),
        "calendar_provisional": ob.due.provisional,
    }


def violation_warning(rule: Rule, hit: ViolationHit, catalogue_version: str) -> Warning:
    e = hit.event
    zh, en = _messages(rule, Level.violation, Status.open, None, e.case_id, e.person_id,
                       hit.due_at, hit.fill)
    return Warning.model_construct(
        warning_id=warning_id(rule.id, e.case_id, e.person_id, e.event_id, hit.part),
        rule_id=rule.id,
        rule_kind=rule.kind,
        level=Level.violation,
        status=Status.open,
        late=None,
        case_id=e.case_id,
        person_id=e.person_id,
        unit_id=e.unit_id,
        due_at=None,
        resolved_at=None,
        changed_at=e.occurred_at,
        evidence=list(hit.evidence),
        basis=_basis(rule),
        message_zh=zh,
        message_en=en,
        catalogue_version=catalogue_version,
    )


def withdrawn(warning: Warning, at: datetime, because: str | None = None) -> Warning:
    """The warning as it stood when its ground went away (`because`: the event that did it).

    Its messages keep their words (whatever filled them) and change their status ending only.
    """
    old_zh, old_en = _status_suffix(warning.status, warning.late)
    new_zh, new_en = _status_suffix(Status.withdrawn, None)
    zh = warning.message_zh.removesuffix(old_zh) + new_zh
    en = warning.message_en.removesuffix(old_en) + new_en
    return warning.model_copy(
        update=dict(
            status=Status.withdrawn,
            late=None,
            resolved_at=None,
            changed_at=at,
            evidence=[*warning.evidence, *([because] if because else [])],
            message_zh=zh,
            message_en=en,
        )
    )


def withdrawn_state(state: LifeRecord, at: datetime) -> LifeRecord:
    """An obligation's life record once its ground went away (its trigger retracted)."""
    return {**state, "status": Status.withdrawn.value, "late": None, "resolved_at": None,
            "changed_at": format_cst(at)}
