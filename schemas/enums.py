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
