"""cli/problem_sheet.py: spreadsheets (.xlsx, .csv in UTF-8 or GB18030) as problem records,
row by row, with the reasons a row or a whole file is refused."""

from datetime import UTC, datetime

import pytest

from cli.problem_sheet import Defaults, RowError, Sheet, SheetError, derived_id
from schemas.problem import Problem
from schemas.timefmt import CST
from tests.support.sheets import BAD_ROWS, HEADER, ROWS, write_csv, write_xlsx

NOW = datetime(2026, 1, 10, tzinfo=UTC)


def read(path, defaults: Defaults | None = None) -> list:
    return list(Sheet(path, defaults or Defaults()).rows(NOW))


@pytest.fixture(params=["xlsx", "csv", "csv-gbk"])
def sheet_file(request, tmp_path):
    def make(rows, header=HEADER):
        if request.param == "xlsx":
            return write_xlsx(tmp_path / "s.xlsx", rows, header)
        encoding = "gb18030" if request.param == "csv-gbk" else "utf-8-sig"
        return write_csv(tmp_path / "s.csv", rows, header, encoding)
    return make


def test_good_rows_become_problems(sheet_file):
    rows = read(sheet_file(ROWS))
    assert [n for n, _ in rows] == [2, 3, 4]
    problems = [p for _, p in rows]
    assert all(isinstance(p, Problem) for p in problems)
    first, second, third = problems
    assert (first.source, first.problem_type, first.unit_id, first.case_id) == (
        "case_review", "record_unsigned", "U3301", "C2026-011")
    assert first.found_at == datetime(2026, 1, 6, 9, 30, tzinfo=CST)
    assert second.attachments == ["dms://C2026-022/1", "dms://C2026-022/2"]
    assert (third.source, third.problem_type, third.case_id) == (
        "cross_check", "wrong_legal_basis", None)
    assert third.found_at == datetime(2026, 1, 8, tzinfo=CST)
    assert first.found_by_role == "inspector"


def test_the_same_row_imported_again_is_the_same_problem(sheet_file):
    once = [p.problem_id for _, p in read(sheet_file(ROWS))]
    again = [p.problem_id for _, p in read(sheet_file(ROWS))]
    assert once == again and len(set(once)) == 3 and once[0].startswith("imp-")
    edited = [list(r) for r in ROWS]
    edited[0][5] = "第2页、第3页无签名"
    assert [p.problem_id for _, p in read(sheet_file(edited))][0] != once[0]


def test_bad_rows_are_reported_with_every_reason_and_the_good_ones_kept(sheet_file):
    rows = read(sheet_file(ROWS[:1] + BAD_ROWS))
    assert isinstance(rows[0][1], Problem)
    errors = {n: e for n, e in rows if isinstance(e, RowError)}
    assert sorted(errors) == [3, 4, 5]
    assert "问题来源 source: Input should be" in str(errors[3])
    text = str(errors[4])
    assert text.startswith("第 4 行 / row 4: ")
    assert "单位编号 unit_id: String should have at least 1 character" in text
    assert "问题类型 problem_type: unknown problem type '迟到'" in text
    assert "发现时间 found_at" in str(errors[5])


def test_a_repeated_problem_id_is_refused(sheet_file):
    header = ["问题编号", *HEADER]
    rows = [["X-1", *ROWS[0]], ["X-1", *ROWS[1]]]
    result = read(sheet_file(rows, header))
    assert result[0][1].problem_id == "X-1"
    assert "problem_id repeats row 2" in str(result[1][1])


def test_options_fill_missing_columns(sheet_file):
    header = [h for h in HEADER if h not in ("问题来源", "发现人")]
    rows = [[c for h, c in zip(HEADER, r, strict=True) if h not in ("问题来源", "发现人")]
            for r in ROWS]
    path = sheet_file(rows, header)
    with pytest.raises(SheetError, match=r"missing columns: 问题来源 \(source\), 发现人"):
        Sheet(path, Defaults())
    got = read(path, Defaults(source="self_check", found_by="u3301", found_by_role="unit"))
    assert {(p.source, p.found_by, p.found_by_role) for _, p in got} == {
        ("self_check", "u3301", "unit")}


def test_columns_not_ours_are_named_and_ignored(sheet_file):
    assert Sheet(sheet_file(ROWS), Defaults()).ignored == ["序号", "备注"]


@pytest.mark.parametrize("name, content, message", [
    ("a.xlsx", b"PK\x03\x04 this is no zip", "not a readable xlsx workbook"),
    ("a.xlsx", b"", "not a readable xlsx workbook"),
    ("a.csv", b"", "the file is empty"),
    ("a.csv", b"\xff\xfe\x00\xd8\x00", "neither UTF-8 nor GB18030"),
    ("a.xls", b"whatever", "only .xlsx and .csv"),
    ("a.csv", "单位,问题描述\nU1,x\n".encode(), "missing columns"),
    ("a.csv", "单位,单位\n".encode(), "appears twice"),
], ids=["not a zip", "empty xlsx", "empty csv", "bad encoding", "xls", "columns", "twice"])
def test_a_file_that_cannot_be_read_is_refused_whole(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SheetError, match=message):
        list(Sheet(path, Defaults()).rows(NOW))


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(SheetError, match="cannot read"):
        Sheet(tmp_path / "none.csv", Defaults())


def test_derived_ids_depend_on_every_field_that_makes_the_problem():
    record = {"source": "patrol", "unit_id": "U1", "description": "x"}
    assert derived_id(record) == derived_id(dict(record))
    assert derived_id(record) != derived_id({**record, "unit_id": "U2"})
