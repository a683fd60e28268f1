"""Closed vocabularies of the event contract."""

from enum import StrEnum


class CaseKind(StrEnum):
    criminal = "criminal"
    administrative = "administrative"


class Measure(StrEnum):
    """Measure a family notice belongs to."""

    detention = "detention"
    arrest = "arrest"
    designated_rs = "designated_rs"
    admin_detention = "admin_detention"
    continued_questioning = "continued_questioning"


class ExemptionReason(StrEnum):
    cannot_notify = "cannot_notify"
    hinders_investigation = "hinders_investigation"


class SuspectFlag(StrEnum):
    roving = "roving"
    repeated = "repeated"
    group = "group"


class ApproverRole(StrEnum):
    chief = "chief"
    deputy = "deputy"
    legal = "legal"
    unit_head = "unit_head"


class CustodyBasis(StrEnum):
    cpl_156 = "cpl_156"
    cpl_158 = "cpl_158"
    cpl_159 = "cpl_159"


class RecountReason(StrEnum):
    new_major_crime = "new_major_crime"
    identity_established = "identity_established"


class SummonsKind(StrEnum):
    summons = "summons"
    compulsory_appearance = "compulsory_appearance"


class Level(StrEnum):
    approaching = "approaching"
    overdue = "overdue"
    violation = "violation"
    system = "system"  # about casewatch itself (a case it cannot process), not a unit's conduct


class Status(StrEnum):
    open = "open"
    resolved = "resolved"
    withdrawn = "withdrawn"


class VisitParty(StrEnum):
    """Who a satisfaction visit (访评) reached."""

    victim = "victim"  # 被害人
    reporter = "reporter"  # 报案人、控告人、举报人
    party = "party"  # 行政案件当事人
    suspect = "suspect"  # 犯罪嫌疑人、违法行为人
    witness = "witness"  # 证人
    other = "other"


class VisitChannel(StrEnum):
    phone = "phone"
    sms = "sms"
    in_person = "in_person"
    online = "online"
    letter = "letter"


class Satisfaction(StrEnum):
    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    unsatisfied = "unsatisfied"  # 不满意
