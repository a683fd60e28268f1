"""`casewatch problems import FILE --dry-run`: rows checked and reported, nothing sent, the
exit code saying whether every row was valid (publishing: tests/integration)."""

from cli.main import main
from tests.support.sheets import BAD_ROWS, ROWS, write_csv, write_xlsx


def test_a_good_sheet_checks_clean(tmp_path, capsys):
    path = write_xlsx(tmp_path / "good.xlsx", ROWS)
    assert main(["problems", "import", str(path), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "columns ignored: 序号, 备注" in err
    assert "3 rows valid, 0 invalid rows not sent" in err


def test_bad_rows_are_listed_and_exit_3(tmp_path, capsys):
    path = write_csv(tmp_path / "mixed.csv", ROWS + BAD_ROWS)
    assert main(["problems", "import", str(path), "--dry-run"]) == 3
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in err if line.startswith("第")] == [
        "第 5 行 / row 5", "第 6 行 / row 6", "第 7 行 / row 7"]
    assert err[-1].endswith("3 rows valid, 3 invalid rows not sent")


def test_a_malformed_file_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    assert main(["problems", "import", str(path), "--dry-run"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("casewatch problems import: 不是可读的 xlsx 工作簿 / not a readable")


def test_bad_arguments_exit_2(tmp_path, capsys):
    path = write_csv(tmp_path / "good.csv", ROWS)
    assert main(["problems", "import", str(path), "--source", "rumour"]) == 2
    assert main(["problems", "import"]) == 2
    assert main(["problems"]) == 2
