"""Key-node notices to defence lawyers: a pure function of a person's events in force
(and the case's case-level ones) and the data in `lawyer_nodes.toml`.

A lawyer gets a notice of each key node that takes effect while the lawyer is engaged for
the person (engaged at or before the node, in order of legal effect, and not withdrawn
before it). A case the exclusion rule names (CPL 39③) gives no notice at all. The
notice id is stable: the same lawyer, person and node event give the same id anywhere.
"""

import tomllib
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path

from schemas.event import Envelope
from schemas.event_types import EVENT_TYPES
from schemas.lawyer_notice import LawyerNotice
from schemas.warning import LegalBasis

NODES_FILE = Path(__file__).with_name("lawyer_nodes.toml")


@dataclass(frozen=True, slots=True)
class Node:
    zh: str
    en: str
    basis: tuple[LegalBasis, ...]


@dataclass(frozen=True, slots=True)
class LawyerNodes:
    engaged: str
    withdrawn: str
    exclusion_event: str
    exclusion_where: dict[str, tuple[str, ...]]
    exclusion_basis: LegalBasis
    nodes: dict[str, Node]

    def excluded(self, events: list[Envelope]) -> bool:
        for e in events:
            if e.event_type != self.exclusion_event:
                continue
            details = e.details.model_dump() if e.details is not None else {}
            if all(details.get(k) in v for k, v in self.exclusion_where.items()):
                return True
        return False


def load_lawyer_nodes(path: Path = NODES_FILE) -> LawyerNodes:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = sorted({data["engaged"], data["withdrawn"], data["exclusion"]["event"],
                      *data["nodes"]} - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"{path.name}: not event types of the contract: {unknown}")
    ex = data["exclusion"]
    return LawyerNodes(
        engaged=data["engaged"], withdrawn=data["withdrawn"], exclusion_event=ex["event"],
        exclusion_where={k: tuple(v) for k, v in ex.get("where", {}).items()},
        exclusion_basis=LegalBasis(ref=ex["basis"]["ref"], text_zh=ex["basis"]["text_zh"]),
        nodes={name: Node(n["zh"], n["en"], tuple(
            LegalBasis(ref=b["ref"], text_zh=b["text_zh"]) for b in n["basis"]))
            for name, n in data["nodes"].items()})


def notice_id(lawyer_id: str, case_id: str, person_id: str, event_id: str) -> str:
    key = "\x1f".join(("lawyer_notice", lawyer_id, case_id, person_id, event_id))
    return blake2b(key.encode(), digest_size=12).hexdigest()


def lawyer_notices(nodes: LawyerNodes, person_id: str,
                   events: list[Envelope]) -> list[LawyerNotice]:
    """The notices of one person. `events`: the person's events and the case-level ones,
    in force (retractions applied) and in order of legal effect (rules/history.py)."""
    if nodes.excluded(events):
        return []
    engaged: dict[str, Envelope] = {}  # lawyer id -> the engagement in force
    out = []
    for event in events:
        if event.event_type == nodes.engaged and event.person_id == person_id:
            engaged[event.details.lawyer_id] = event
            continue
        if event.event_type == nodes.withdrawn and event.person_id == person_id:
            engaged.pop(event.details.lawyer_id, None)
            continue
        node = nodes.nodes.get(event.event_type)
        if node is None or event.person_id not in (None, person_id):
            continue
        for lawyer_id in sorted(engaged):
            out.append(LawyerNotice(
                notice_id=notice_id(lawyer_id, event.case_id, person_id, event.event_id),
                lawyer_id=lawyer_id, case_id=event.case_id, person_id=person_id,
                unit_id=event.unit_id, node=event.event_type, node_zh=node.zh,
                node_en=node.en, occurred_at=event.occurred_at, basis=list(node.basis)))
    return out
