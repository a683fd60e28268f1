"""What `casewatch whatif` prints: totals first, then per rule and unit, then the warnings
themselves, as a table (Chinese first) or one JSON document.

The changed warnings come as records (`change_record`), in case order, from a source that
can be read twice: once for the totals, once for the list, so none is held.
"""

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from cli.table import LEVEL_ZH, STATUS_ZH, aligned
from rules.ruleset_diff import ADDED, CHANGES, OTHER, RELEVELLED, REMOVED, RETIMED
from schemas.timefmt import format_cst
from schemas.warning import Warning

LABELS = {ADDED: ("新增", "added"), REMOVED: ("消失", "removed"),
          RETIMED: ("改期", "re-timed"), RELEVELLED: ("改级", "re-levelled"),
          OTHER: ("其他变化", "other")}
COUNT_HEADERS = tuple(f"{zh} {en}" for zh, en in (LABELS[c] for c in CHANGES))

#: (case_id, person_id or "", rule_id, warning_id, unit_id, changes, fields changed,
#:  current state, proposed state); a state is (level, status, late, due_at, changed_at)
Record = tuple
Records = Callable[[], Iterable[Record]]


def _state(w: Warning | None) -> tuple | None:
    if w is None:
        return None
    return (str(w.level), str(w.status), w.late, w.due_at and format_cst(w.due_at),
            format_cst(w.changed_at))


def change_record(before: Warning | None, after: Warning | None, changes: tuple[str, ...],
                  fields: list[str]) -> Record:
    w = after or before
    return (w.case_id, w.person_id or "", w.rule_id, w.warning_id, w.unit_id, changes,
            tuple(fields), _state(before), _state(after))


@dataclass
class Summary:
    totals: Counter = field(default_factory=Counter)
    by_rule_unit: dict[tuple[str, str], Counter] = field(default_factory=dict)
    warnings: int = 0

    @classmethod
    def of(cls, records: Iterable[Record]) -> "Summary":
        s = cls()
        for r in records:
            s.warnings += 1
            s.totals.update(r[5])
            s.by_rule_unit.setdefault((r[2], r[4]), Counter()).update(r[5])
        return s


def _counts(counter: Counter) -> tuple[str, ...]:
    return tuple(f"{counter[c]:,}" for c in CHANGES)


def _state_text(state: tuple | None) -> str:
    if state is None:
        return "—"
    level, status, late, due, _ = state
    text = f"{LEVEL_ZH[level]} {STATUS_ZH[status]}" + (" 逾期" if late else "")
    return text + (f" {due[:16].replace('T', ' ')}" if due else "")


def write_table(out, header: dict, summary: Summary, records: Records, limit: int) -> None:
    out.write(f"规则目录对比 what-if: {header['current']} → {header['proposed']}\n")
    changed = ", ".join(header["rules_changed"]) or "—"
    out.write(f"变动的规则 rules changed: {changed}"
              + ("（工作日历已变 calendar changed）" if header["calendar_changed"] else "") + "\n")
    out.write(f"评估时刻 at: {header['at']}   自 from: {header['from'] or '—'}\n")
    out.write(f"事件 events: {header['events']:,}   "
              f"评估的案件 cases evaluated: {header['cases_evaluated']:,}\n\n")
    out.write("合计 totals\n")
    out.writelines(aligned((*COUNT_HEADERS, "预警 warnings"),
                           [(*_counts(summary.totals), f"{summary.warnings:,}")]))
    out.write("\n按规则和单位 by rule and unit\n")
    rows = [(rule, unit, *_counts(c)) for (rule, unit), c in sorted(summary.by_rule_unit.items())]
    out.writelines(aligned(("规则 rule", "单位 unit", *COUNT_HEADERS), rows))
    shown = summary.warnings if limit <= 0 else min(limit, summary.warnings)
    out.write(f"\n预警 warnings ({shown:,} / {summary.warnings:,})\n")
    listed = []
    for r in records():
        if len(listed) >= shown:
            break
        changes = ",".join(LABELS[c][0] for c in r[5])
        listed.append((changes, r[2], r[4], r[0], r[1] or "-", r[3][:8], _state_text(r[7]),
                       _state_text(r[8])))
    out.writelines(aligned(("变化 change", "规则 rule", "单位 unit", "案件 case", "人员 person",
                            "编号 id", "当前 current", "提议 proposed"), listed))
    if shown < summary.warnings:
        out.write(f"…… 另有 {summary.warnings - shown:,} 条 more (--limit 0 列出全部 lists all)\n")


def _state_json(state: tuple | None) -> dict | None:
    if state is None:
        return None
    return dict(zip(("level", "status", "late", "due_at", "changed_at"), state, strict=True))


def json_chunks(header: dict, summary: Summary, records: Records) -> Iterator[str]:
    """One JSON document, written as it goes (the warnings are not held)."""
    head = {**header,
            "totals": {**{c: summary.totals[c] for c in CHANGES}, "warnings": summary.warnings},
            "by_rule_unit": [{"rule_id": rule, "unit_id": unit, **{c: n[c] for c in CHANGES}}
                             for (rule, unit), n in sorted(summary.by_rule_unit.items())]}
    text = json.dumps(head, ensure_ascii=False)
    yield text[:-1] + ', "warnings": ['
    for i, r in enumerate(records()):
        item = {"warning_id": r[3], "rule_id": r[2], "unit_id": r[4], "case_id": r[0],
                "person_id": r[1] or None, "changes": list(r[5]), "fields": list(r[6]),
                "current": _state_json(r[7]), "proposed": _state_json(r[8])}
        yield ("\n" if i == 0 else ",\n") + json.dumps(item, ensure_ascii=False)
    yield "\n]}\n"
