"""The spreadsheets inspectors keep (.xlsx or .csv), read as problem records row by row.

The first row names the columns, in Chinese or English (COLUMNS); other columns (序号,
备注 …) are ignored and named once. Each later non-empty row becomes a `Problem`, or a
`RowError` with every reason, numbered as the spreadsheet numbers its rows. Values are
taken as people type them: a source or problem type by its Chinese name or code, a time
as a spreadsheet date, `2026-01-05 10:00` (China time) or RFC 3339, several attachments
separated by `;` or line breaks. A row without a problem_id gets one derived from its
content, so the same row imported again is the same problem.

Hostile files are bounded: at most MAX_BYTES and MAX_ROWS, XML read through defusedxml
(openpyxl uses it when installed), and every record is checked as the topic's intake
checks it (rules/problem_entry.py).
"""

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from rules.problem_entry import InvalidProblem, accept_problem
from rules.problem_types import ProblemTypes, problem_types
from schemas.problem import SOURCE_ZH, FinderRole, Problem, ProblemSource
from schemas.timefmt import CST

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000

#: field -> the headers that name it (case and surrounding blanks do not matter)
COLUMNS: dict[str, tuple[str, ...]] = {
    "problem_id": ("问题编号", "problem_id"),
    "source": ("问题来源", "来源", "source"),
    "unit_id": ("单位编号", "单位", "办案单位", "unit_id"),
    "case_id": ("案件编号", "case_id"),
    "person_id": ("人员编号", "person_id"),
    "problem_type": ("问题类型", "problem_type"),
    "description": ("问题描述", "description"),
    "found_by": ("发现人", "检查人", "found_by"),
    "found_by_role": ("发现人角色", "found_by_role"),
    "found_at": ("发现时间", "检查时间", "found_at"),
    "attachments": ("附件", "attachments"),
}
REQUIRED = ("source", "unit_id", "problem_type", "description", "found_by", "found_at")
SOURCES = {**{zh: s for s, zh in SOURCE_ZH.items()}, "自查": ProblemSource.self_check,
           "交叉": ProblemSource.cross_check, "巡查": ProblemSource.patrol,
           "评查": ProblemSource.case_review, "访评": ProblemSource.visit}
ROLES = {"督察": FinderRole.inspector, "检查人员": FinderRole.inspector,
         "评查人员": FinderRole.inspector, "法制监督": FinderRole.supervisor,
         "办案单位": FinderRole.unit, "单位": FinderRole.unit}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S",
                 "%Y/%m/%d %H:%M", "%Y/%m/%d")


class SheetError(ValueError):
    """The file as a whole cannot be read (the message says why)."""


@dataclass(frozen=True)
class RowError:
    row: int
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return f"第 {self.row} 行 / row {self.row}: " + "; ".join(self.reasons)


@dataclass(frozen=True)
class Defaults:
    """Values for columns the sheet lacks (command-line options)."""

    source: str | None = None
    found_by: str | None = None
    found_by_role: str = "inspector"


# ---------------------------------------------------------------- raw rows


def _cells_xlsx(data: bytes) -> Iterator[list]:
    try:
        import defusedxml  # noqa: F401  openpyxl parses through it when it is installed
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise SheetError(f"不是可读的 xlsx 工作簿 / not a readable xlsx workbook ({exc})") \
            from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _cells_csv(data: bytes) -> Iterator[list]:
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese Excel saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError("CSV 编码无法识别 / CSV is neither UTF-8 nor GB18030")
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise SheetError(f"CSV 格式错误 / malformed CSV: {exc}") from None


def raw_rows(path: Path) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cells) of a .xlsx or .csv file, the header row first."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise SheetError(f"只支持 .xlsx 与 .csv / only .xlsx and .csv files, not {path.name!r}")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SheetError(f"文件过大 / file is {size} bytes, over {MAX_BYTES}")
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError(f"无法读取 / cannot read {path}: {exc.strerror}") from None
    cells = _cells_xlsx(data) if suffix == ".xlsx" else _cells_csv(data)
    for number, row in enumerate(cells, start=1):
        if number > MAX_ROWS + 1:
            raise SheetError(f"行数过多 / more than {MAX_ROWS} rows")
        yield number, row


# ---------------------------------------------------------------- values


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _found_at(value) -> str:
    """An RFC 3339 instant; naive times are China Standard Time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        text = _text(value)
        moment = None
        for fmt in _TIME_FORMATS:
            try:
                moment = datetime.strptime(text, fmt).replace(tzinfo=CST)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                return text  # the schema names what is wrong with it
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CST)
    return moment.isoformat()


def _coded(text: str, names: dict, codes) -> str:
    return str(names.get(text, text)) if text not in codes else text


def _type_code(text: str, types: ProblemTypes) -> str:
    if text in types.by_code:
        return text
    by_title = {t.title_zh: t.code for t in types.types}
    return by_title.get(text, text)


def derived_id(record: dict) -> str:
    keys = ("source", "unit_id", "case_id", "person_id", "problem_type", "found_by",
            "found_at", "description")
    content = json.dumps([record.get(k) for k in keys], ensure_ascii=False)
    return "imp-" + hashlib.sha256(content.encode()).hexdigest()[:32]


# ---------------------------------------------------------------- rows to problems


class Sheet:
    """A sheet's header and its rows as records; iterate `rows()` once."""

    def __init__(self, path: Path, defaults: Defaults, types: ProblemTypes | None = None):
        self.rows_iter = raw_rows(path)
        self.defaults = defaults
        self.types = types or problem_types()
        try:
            _, header = next(self.rows_iter)
        except StopIteration:
            raise SheetError("文件为空 / the file is empty") from None
        self.fields: dict[int, str] = {}
        self.ignored: list[str] = []
        by_name = {name.lower(): field for field, names in COLUMNS.items() for name in names}
        for i, cell in enumerate(header):
            name = _text(cell)
            field = by_name.get(re.sub(r"\s+", "", name).lower())
            if field is None:
                if name:
                    self.ignored.append(name)
            elif field in self.fields.values():
                raise SheetError(f"列重复 / column {name!r} appears twice")
            else:
                self.fields[i] = field
        present = set(self.fields.values())
        if defaults.source:
            present.add("source")
        if defaults.found_by:
            present.add("found_by")
        missing = [f for f in REQUIRED if f not in present]
        if missing:
            named = ", ".join(f"{COLUMNS[f][0]} ({f})" for f in missing)
            raise SheetError(f"缺少列 / missing columns: {named}")

    def record(self, cells: list) -> dict:
        values = {field: cells[i] if i < len(cells) else None for i, field in self.fields.items()}
        text = {field: _text(v) for field, v in values.items()}
        record = {
            "schema_version": 1,
            "source": _coded(text.get("source") or self.defaults.source or "", SOURCES,
                             set(ProblemSource)),
            "unit_id": text.get("unit_id", ""),
            "case_id": text.get("case_id") or None,
            "person_id": text.get("person_id") or None,
            "problem_type": _type_code(text.get("problem_type", ""), self.types),
            "description": text.get("description", ""),
            "found_by": text.get("found_by") or self.defaults.found_by or "",
            "found_by_role": _coded(text.get("found_by_role") or self.defaults.found_by_role,
                                    ROLES, set(FinderRole)),
            "found_at": _found_at(values.get("found_at")),
            "attachments": [a.strip() for a in re.split(r"[;；\n]", text.get("attachments", ""))
                            if a.strip()],
        }
        record["problem_id"] = text.get("problem_id") or derived_id(record)
        return record

    def rows(self, now: datetime) -> Iterator[tuple[int, Problem | RowError]]:
        seen: dict[str, int] = {}
        for number, cells in self.rows_iter:
            if not any(_text(c) for c in cells):
                continue
            record = self.record(cells)
            key = record["problem_id"]
            try:
                problem = accept_problem(json.dumps(record, ensure_ascii=False).encode(),
                                         key.encode(), now, self.types)
            except InvalidProblem as exc:
                yield number, RowError(number, tuple(self._named(r) for r in exc.reasons))
                continue
            if key in seen:
                yield number, RowError(number, (f"问题编号 {key} 与第 {seen[key]} 行重复 / "
                                                f"problem_id repeats row {seen[key]}",))
                continue
            seen[key] = number
            yield number, problem

    @staticmethod
    def _named(reason: str) -> str:
        """A reason with the column's Chinese name before the field it names."""
        field = reason.split(":", 1)[0].split(".", 1)[0]
        return f"{COLUMNS[field][0]} {reason}" if field in COLUMNS else reason
