"""Per-type `details` payloads. Unknown keys are kept (events.md), never rejected."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.document_types import DocType
from schemas.enums import (
    ApproverRole,
    CustodyBasis,
    ExemptionReason,
    Measure,
    RecountReason,
    SummonsKind,
    SuspectFlag,
)

Id = Annotated[str, Field(min_length=1, max_length=64)]


class Details(BaseModel):
    """Base of every payload: extra keys are allowed and kept."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)


class Approved(Details):
    approved_by: Id


class SummonsStarted(Details):
    kind: SummonsKind


class Detained(Details):
    suspect_flags: list[SuspectFlag] = []


class DetentionPeriodExtended(Approved):
    to_days: Literal[7, 30]


class SentToJail(Details):
    facility_id: Id | None = None


class FamilyNotified(Details):
    measure: Measure


class FamilyNoticeExempted(Details):
    measure: Measure
    reason: ExemptionReason
    approved_by: Id | None = None


class NoticeExemptionEnded(Details):
    measure: Measure


class CustodyExtended(Approved):
    basis: CustodyBasis


class CustodyRecounted(Details):
    reason: RecountReason


class Approval(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    approver_id: Id
    role: ApproverRole


class BailStarted(Details):
    approvals: list[Approval]


class RsStarted(Details):
    designated: bool
    approvals: list[Approval]


class Released(Details):
    reason: str | None = None


class MeasureChangeDecided(Details):
    granted: bool | None = None


class CaseClosed(Details):
    reason: str | None = None


class EventRetracted(Details):
    retracts_event_id: Annotated[str, Field(min_length=1, max_length=128)]


# -- issue 14's rule families: filing review, property, lawyer meetings, dossier documents


class FilingReviewExtended(Approved):
    to_days: Literal[7, 30]


class FilingDecided(Details):
    filed: bool


class PropertyItem(Details):
    """One seized item, named by the id the property ledger gives it (涉案财物编号)."""

    property_id: Id


class LawyerMeetingRequested(Details):
    approval_required: bool = False  # CPL 39③: needs the investigators' permission


class DocumentFiled(Details):
    doc_type: DocType
