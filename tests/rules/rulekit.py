"""Shared helpers and tables of the rule tests.

`Case` wraps `tests.support.timeline.CaseTimeline` with absolute instants (RFC 3339 strings) and the
details every event type needs, so that a test only spells out what matters to it.
`RULES` holds one plain, spec-derived scenario per deadline rule of the spec (rules.md):
its trigger, a trigger instant on an ordinary working day, the due_at the spec's counting
gives, the lead and the main closing event.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from rules.ids import warning_id
from tests.support.timeline import CaseTimeline

REPO_ROOT = Path(__file__).resolve().parents[2]
LAW_DIR = REPO_ROOT / "docs" / "law"

MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)


def t(text: str) -> datetime:
    """An instant from RFC 3339 text (always with an offset)."""
    return datetime.fromisoformat(text)


def h(n: float) -> timedelta:
    return timedelta(hours=n)


def d(n: float) -> timedelta:
    return timedelta(days=n)


def cst(instant: datetime | None) -> str | None:
    """An instant as the contract prints it (`YYYY-MM-DDTHH:MM:SS+08:00`)."""
    from schemas.timefmt import format_cst

    return None if instant is None else format_cst(instant)


TWO_APPROVERS = [{"approver_id": "A1", "role": "chief"}, {"approver_id": "A2", "role": "deputy"}]

DEFAULT_DETAILS: dict[str, dict] = {
    "summons_started": {"kind": "summons"},
    "summons_extended": {"approved_by": "AP1"},
    "detention_period_extended": {"approved_by": "AP1"},
    "custody_extended": {"approved_by": "AP1"},
    "custody_recounted": {"reason": "new_major_crime"},
    "bail_started": {"approvals": TWO_APPROVERS},
    "rs_started": {"designated": False, "approvals": TWO_APPROVERS},
    "admin_questioning_extended": {"approved_by": "AP1"},
    "admin_case_extended": {"approved_by": "AP1"},
    "filing_review_extended": {"approved_by": "AP1"},
    "filing_decided": {"filed": True},
    "continued_questioning_extended": {"approved_by": "AP1"},
    "property_seized": {"property_id": "X1"},
    "property_handed_over": {"property_id": "X1"},
    "property_disposed": {"property_id": "X1"},
}


def _iso(at: str | datetime) -> str:
    return at if isinstance(at, str) else at.isoformat()


class Case:
    """One case on a timeline; `add` returns the event id."""

    def __init__(self, kind: str = "criminal", case_id: str = "C1", person_id: str = "P1",
                 engine=None):
        self.timeline = CaseTimeline(case_id=case_id, person_id=person_id, case_kind=kind,
                                     engine=engine)
        self.case_id, self.person_id = case_id, person_id

    def add(self, event_type: str, at: str | datetime, event_id: str | None = None,
            person_id: str | None = None, **details) -> str:
        merged = {**DEFAULT_DETAILS.get(event_type, {}), **details}
        event = self.timeline.add(event_type, at=_iso(at), event_id=event_id,
                                  person_id=person_id, **merged)
        return event.event_id

    def warning(self, rule_id: str, now: str | datetime):
        return self.timeline.warning(rule_id, at=_iso(now))

    def warnings(self, now: str | datetime, rule_id: str | None = None) -> list:
        found = self.timeline.evaluate(at=_iso(now))
        return [w for w in found if rule_id is None or w.rule_id == rule_id]

    def result(self, now: str | datetime):
        return self.timeline.result(at=_iso(now))

    def warning_id(self, rule_id: str, event_id: str, person_id: str | None = "P1") -> str:
        return warning_id(rule_id, self.case_id, person_id, event_id)


@dataclass(frozen=True)
class RuleCase:
    rule_id: str
    trigger: str
    at: str  # the trigger's instant
    due: str  # due_at by the spec's counting
    lead: timedelta
    closer: str  # the main closing event type
    closer_details: dict = field(default_factory=dict)
    trigger_details: dict = field(default_factory=dict)
    kind: str = "criminal"
    case_level: bool = False

    @property
    def due_at(self) -> datetime:
        return t(self.due)

    @property
    def lead_opens(self) -> datetime:
        return self.due_at - self.lead

    @property
    def person(self) -> str | None:
        return None if self.case_level else "P1"

    def open_case(self) -> Case:
        """A case holding the trigger, as event `trg`."""
        case = Case(kind=self.kind)
        case.add(self.trigger, self.at, event_id="trg", **self.trigger_details)
        return case

    def close(self, case: Case, at: datetime, event_id: str = "close") -> str:
        return case.add(self.closer, at, event_id=event_id, **self.closer_details)


MON = "2026-05-11T10:00:00+08:00"  # an ordinary Monday, no holiday near

RULES: dict[str, RuleCase] = {r.rule_id: r for r in [
    RuleCase("det_transfer_to_jail", "detained", MON, "2026-05-12T10:00:00+08:00", h(4),
             "sent_to_jail"),
    RuleCase("det_family_notice", "detained", MON, "2026-05-12T10:00:00+08:00", h(4),
             "family_notified", {"measure": "detention"}),
    RuleCase("det_first_interrogation", "detained", MON, "2026-05-12T10:00:00+08:00", h(4),
             "interrogated"),
    # 3 days: 05-12, 05-13, 05-14 counted; ends 24:00 of 05-14.
    RuleCase("det_arrest_request", "detained", MON, "2026-05-15T00:00:00+08:00", h(24),
             "arrest_requested"),
    RuleCase("arrest_decision_wait", "arrest_requested", MON, "2026-05-19T00:00:00+08:00",
             h(48), "arrest_approved"),
    RuleCase("release_on_denial", "arrest_denied", MON, "2026-05-11T22:00:00+08:00", h(4),
             "released"),
    RuleCase("arrest_execution", "arrest_approved", MON, "2026-05-12T10:00:00+08:00", h(4),
             "arrested"),
    RuleCase("arrest_family_notice", "arrested", MON, "2026-05-12T10:00:00+08:00", h(4),
             "family_notified", {"measure": "arrest"}),
    RuleCase("arrest_first_interrogation", "arrested", MON, "2026-05-12T10:00:00+08:00", h(4),
             "interrogated"),
    # 2 months: to 07-11 (a Saturday: custody never extends), ends 24:00.
    RuleCase("custody_limit", "arrested", MON, "2026-07-12T00:00:00+08:00", d(15),
             "transferred_for_prosecution"),
    # 12 months: to 2026-06-10 (a Wednesday, working day).
    RuleCase("bail_limit", "bail_started", "2025-06-10T10:00:00+08:00",
             "2026-06-11T00:00:00+08:00", d(30), "bail_ended"),
    # 6 months: to 2026-07-13 (a Monday).
    RuleCase("rs_limit", "rs_started", "2026-01-13T10:00:00+08:00",
             "2026-07-14T00:00:00+08:00", d(15), "rs_ended"),
    RuleCase("rs_designated_notice", "rs_started", MON, "2026-05-12T10:00:00+08:00", h(4),
             "family_notified", {"measure": "designated_rs"},
             {"designated": True}),
    # 1 month: to 06-11 (a Thursday).
    RuleCase("supp_investigation", "returned_for_supplementary_investigation", MON,
             "2026-06-12T00:00:00+08:00", d(7), "supplementary_investigation_completed"),
    RuleCase("summons_duration", "summons_started", MON, "2026-05-11T22:00:00+08:00", h(2),
             "summons_ended"),
    RuleCase("measure_change_reply", "measure_change_requested", MON,
             "2026-05-15T00:00:00+08:00", h(24), "measure_change_decided"),
    RuleCase("adm_questioning", "admin_questioning_started", MON, "2026-05-11T18:00:00+08:00",
             h(2), "admin_questioning_ended", kind="administrative"),
    # 30 days: to 06-10 (a Wednesday).
    RuleCase("adm_case_limit", "admin_case_accepted", MON, "2026-06-11T00:00:00+08:00", d(5),
             "admin_case_decided", kind="administrative", case_level=True),
    RuleCase("adm_decision_delivery", "admin_case_decided", MON, "2026-05-14T00:00:00+08:00",
             h(12), "admin_decision_served", kind="administrative", case_level=True),
    # 3 days: 05-12, 05-13, 05-14 counted; ends 24:00 of 05-14.
    RuleCase("filing_review", "criminal_case_accepted", MON, "2026-05-15T00:00:00+08:00",
             h(24), "filing_decided", {"filed": True}, case_level=True),
    RuleCase("continued_questioning", "continued_questioning_started", MON,
             "2026-05-11T22:00:00+08:00", h(2), "continued_questioning_ended"),
    RuleCase("continued_questioning_family_notice", "continued_questioning_started", MON,
             "2026-05-11T14:00:00+08:00", h(2), "family_notified",
             {"measure": "continued_questioning"}),
    RuleCase("property_handover", "property_seized", MON, "2026-05-12T10:00:00+08:00", h(4),
             "property_handed_over", case_level=True),
    RuleCase("admin_detention_family_notice", "admin_detention_decided", MON,
             "2026-05-12T10:00:00+08:00", h(4), "family_notified", {"measure": "admin_detention"},
             kind="administrative"),
    RuleCase("lawyer_meeting", "lawyer_meeting_requested", MON, "2026-05-13T10:00:00+08:00",
             h(12), "lawyer_meeting_held"),
]}

#: Deadline rules whose period starts at a later event than the trigger (`started_by`): their
#: scenarios are in test_started_by.py, not in RULES.
STARTED_LATER = frozenset({"property_disposal"})
DEADLINE_RULE_IDS = frozenset(RULES) | STARTED_LATER

VIOLATION_RULE_IDS = frozenset({
    "det_extension_unjustified",
    "extension_after_expiry",
    "custody_extension_out_of_order",
    "supp_investigation_limit",
    "notice_exemption_invalid",
    "approval_insufficient",
    "summons_consecutive",
    "evidence_checklist",
})
