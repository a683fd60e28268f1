"""Closing a month (`casewatch report --month M --close`): its white paper frozen with the
input offsets it rests on, and what moved since.

Late events, retractions, extensions and actions keep changing a past month's figures. A
closed month prints the frozen paper; `revisions(frozen, now)` lists every figure that has
moved since, per unit, for the paper's last section. The frozen paper is the WhitePaper
itself as JSON (pydantic reads and writes the dataclasses), so nothing is left out.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from pydantic import TypeAdapter

from report.paper import Revision, UnitSection, WhitePaper
from report.render import percent, score

PAPER = TypeAdapter(WhitePaper)


@dataclass(frozen=True)
class Closure:
    month: str  # YYYY-MM
    closed_at: datetime
    closed_by: str  # an operator id
    offsets: dict[str, dict[int, int]]  # the sink's committed offsets: topic -> partition
    paper: str  # the frozen WhitePaper, JSON

    def frozen_paper(self, now: datetime) -> WhitePaper:
        return replace(PAPER.validate_json(self.paper), generated_at=now,
                       closed_at=self.closed_at)


CLOSURE = TypeAdapter(Closure)


def freeze(paper: WhitePaper) -> str:
    return PAPER.dump_json(paper).decode()


def _figures(s: UnitSection) -> dict[str, str]:
    f = s.figures
    out = {"名次 rank": str(s.rank), "得分 score": score(s.score.score), "应办 due": str(f.due),
           "按时 on time": str(f.met_on_time), "超期 late": str(f.missed),
           "月末未结 open at month end": str(f.still_open), "违规 violations": str(f.violations)}
    for source, n in sorted(s.by_source.items()):
        out[f"问题 problems ({source})"] = str(n)
    if s.visits is not None:
        out["回复率 reply rate"] = percent(s.visits.reply_rate)
        out["满意率 satisfaction"] = percent(s.visits.satisfaction_rate)
    return out


def revisions(frozen: WhitePaper, now: WhitePaper) -> list[Revision]:
    """Every figure of every unit that differs between the frozen paper and now."""
    before = {s.unit_id: _figures(s) for s in frozen.ranking}
    after = {s.unit_id: _figures(s) for s in now.ranking}
    out = []
    for unit in sorted(before.keys() | after.keys()):
        old, new = before.get(unit, {}), after.get(unit, {})
        for figure in [*old, *(k for k in new if k not in old)]:
            if old.get(figure) != new.get(figure):
                out.append(Revision(unit, figure, old.get(figure, "—"), new.get(figure, "—")))
    return out
