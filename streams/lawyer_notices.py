"""Which key-node notices to defence lawyers a case's new events bring
(`rules/lawyer_notices.py` decides them from a person's history; this finds the persons
to ask). Only events of the types the key-node data names can bring one, so most events
cost nothing here; for one that can, the person's history in force is read.

A notice is published once (the case's item `n:<notice id>` records it) and never taken
back: a lawyer who was told of a node keeps having been told, even if the node's record is
retracted later.
"""

from rules.engine import CASE_SUBJECT, subject_of
from rules.history import effective_retractions, in_force, ordered_unique
from rules.lawyer_notices import LawyerNodes, lawyer_notices
from schemas.lawyer_notice import LawyerNotice
from streams.case_logic import Arrival, CaseLogic


class NoticeFinder:
    def __init__(self, nodes: LawyerNodes):
        self.nodes = nodes
        self.types = frozenset({nodes.engaged, nodes.withdrawn, nodes.exclusion_event,
                                *nodes.nodes})

    def notices(self, logic: CaseLogic, arrivals: list[Arrival]) -> list[LawyerNotice]:
        """Every notice of the persons these new events concern (published or not)."""
        relevant = [a.event for a in arrivals if a.event.event_type in self.types]
        if not relevant:
            return []
        if any(subject_of(e) is CASE_SUBJECT for e in relevant):
            persons = logic.persons()
        else:
            persons = sorted({e.person_id for e in relevant})
        out = []
        for person in persons:
            ordered = ordered_unique(logic.events_of(person))
            retracted, _ = effective_retractions(ordered)
            out += lawyer_notices(self.nodes, person, in_force(ordered, retracted))
        return out
