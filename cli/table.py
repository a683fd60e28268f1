"""Warnings as a table for a terminal, aligned for Chinese and Latin text."""

import unicodedata
from collections.abc import Callable, Iterable, Iterator

from schemas.timefmt import format_cst
from schemas.warning import Warning

LEVEL_ZH = {"approaching": "临期", "overdue": "超期", "violation": "违规", "system": "系统"}
STATUS_ZH = {"open": "未办结", "resolved": "已办结", "withdrawn": "已撤回"}
HEADERS = ("编号 id", "级别 level", "状态 status", "规则 rule", "案件 case", "人员 person",
           "期限 due (+08:00)", "证据 evidence")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _row(w: Warning) -> tuple[str, ...]:
    status = STATUS_ZH[w.status] + (" 逾期" if w.late else "")
    due = format_cst(w.due_at)[:16].replace("T", " ") if w.due_at else "-"
    return (w.warning_id[:8], LEVEL_ZH[w.level], status, w.rule_id, w.case_id,
            w.person_id or "-", due, ",".join(w.evidence))


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(_pad(c, widths[i]) for i, c in enumerate(cells)).rstrip() + "\n"


def _rule(widths: list[int]) -> str:
    return "  ".join("-" * w for w in widths) + "\n"


def aligned(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Rows under their headers and a rule, each line ending in a newline (rows held)."""
    widths = [max(_width(r[i]) for r in (headers, *rows)) for i in range(len(headers))]
    return [_line(headers, widths), _rule(widths), *(_line(r, widths) for r in rows)]


def render_table(warnings: list[Warning]) -> str:
    return "".join(table_lines(lambda: warnings))


def table_lines(warnings: Callable[[], Iterable[Warning]]) -> Iterator[str]:
    """The table's lines over `warnings()`, which is called twice: once to size the
    columns, once to print the rows, so they need not be held."""
    widths = [_width(h) for h in HEADERS]
    for w in warnings():
        widths = [max(n, _width(c)) for n, c in zip(widths, _row(w), strict=True)]
    yield _line(HEADERS, widths)
    yield _rule(widths)
    count = 0
    for w in warnings():
        yield _line(_row(w), widths)
        count += 1
    yield f"{count} 条预警 warnings\n"
