"""`casewatch report` against the stack's ClickHouse 18.16, read as the read-only user
`casewatch_reader` that deploy/stack creates: the white paper of the seeded dataset
(sinks/quality_testing.py, written twice into a fresh database) as HTML and PDF; the PDF's
text (pdftotext) carries exactly the known figures, its first page renders (pdftoppm).
Bad input ends with a message and an exit code, never a traceback.
"""

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sinks.clickhouse.client import ClickHouse, Settings
from sinks.clickhouse.reader import reader_settings, wait_for_reader
from tests.support.quality_seed import (
    EXPECTED_FIGURES,
    EXPECTED_OPEN_AT_END,
    EXPECTED_PROBLEMS,
    EXPECTED_SCORES,
    MONTH,
    PREVIOUS,
    seed,
)

REPO = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def database(stack) -> Iterator[str]:
    ch = ClickHouse(Settings.from_env())
    ch.wait_until_available(timeout=60)
    wait_for_reader(reader_settings(), timeout=30)
    db = f"casewatch_report_{uuid.uuid4().hex[:10]}"
    seed(ch, ch.execute, db)
    yield db
    ch.execute(f"DROP DATABASE IF EXISTS {db}")


def report(db: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CASEWATCH_CLICKHOUSE_")}
    environ.update({"CASEWATCH_CLICKHOUSE_DATABASE": db, **env})
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "report", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )


def pdf_text(pdf: Path) -> str:
    tool = shutil.which("pdftotext") or pytest.fail("pdftotext missing: run deploy/os-deps")
    out = subprocess.run([tool, "-layout", str(pdf), "-"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def row(*cells: object) -> re.Pattern:
    """A table row of the PDF text: the cells in order, separated by whitespace."""
    return re.compile(r"^\s*" + r"\s+".join(re.escape(str(c)) for c in cells) + r"\s*$", re.M)


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def ranking_row(rank: int, unit: str, change: str) -> re.Pattern:
    due, met, missed, still_open, violations, mean, p90, _, turnaround = (
        EXPECTED_FIGURES[MONTH][unit]
    )
    score = EXPECTED_SCORES[MONTH][unit][0]
    rate = f"{met / due * 100:.1f}%"
    return row(rank, unit, fmt(score), change, due, met, rate, missed, still_open, violations,
               fmt(mean), fmt(p90), fmt(turnaround))


@pytest.fixture(scope="module")
def whole(database, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("report")
    return report(database, "--month", MONTH, "--out", str(out)), out


def test_white_paper_figures_equal_the_known_answers(whole):
    result, out = whole
    assert result.returncode == 0, result.stderr
    html, pdf = out / "white-paper-2026-11.html", out / "white-paper-2026-11.pdf"
    assert result.stdout.split() == [str(html), str(pdf)]
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "执法质量白皮书" in text and "2026年11月" in text
    # ranking: score, trend against October, figures
    assert ranking_row(1, "U3301", "+10.0").search(text), text
    assert ranking_row(2, "U3303", "—").search(text), text
    assert ranking_row(3, "U3302", "-32.0").search(text), text
    # score parts: workload, overdue, violation, rectification points, credit, score, last month
    for unit, (score, overdue, violation, rect, credit) in EXPECTED_SCORES[MONTH].items():
        figures = EXPECTED_FIGURES[MONTH][unit]
        before = EXPECTED_SCORES[PREVIOUS].get(unit)
        parts = row(unit, figures[0] + figures[4], fmt(overdue), fmt(violation), fmt(rect),
                    fmt(credit), fmt(score), fmt(before[0]) if before else "—")
        assert parts.search(text), unit
    # each unit's problem list: case, rule title, due, how late, rectification
    late_hours = {p[0]: p[3] for problems in EXPECTED_PROBLEMS.values() for p in problems}
    assert row("C201", "拘留后通知家属", "超期", "2026-11-02", "00:00", fmt(late_hours["B1"]),
               "逾期整改", "已整改").search(text)
    assert row("C202", "延长侦查羁押期限顺序错误", "违规", "2026-11-26", "10:00", "—", "整改期内",
               "已签收").search(text)
    assert row("C301", "强制措施审批不足", "违规", "2026-11-08", "09:00", "—", "按时整改",
               "已核验").search(text)
    # still overdue at month end, earliest due first
    starts = [text.index(f"{fmt(late)}\n") for *_, late in EXPECTED_OPEN_AT_END]
    assert starts == sorted(starts)
    assert row("U3302", "C204", "拘留后提请批准逮捕", "2026-10-20", "00:00", "1008.0").search(text)
    # the most broken rule
    assert row("逮捕后侦查羁押期限", "custody_limit", "法定", 2, 0, 2).search(text)
    assert "<svg" in html.read_text(encoding="utf-8")


def test_first_page_renders_as_an_image(whole, tmp_path):
    _, out = whole
    tool = shutil.which("pdftoppm") or pytest.fail("pdftoppm missing: run deploy/os-deps")
    subprocess.run(
        [tool, "-png", "-r", "50", "-f", "1", "-l", "1", str(out / "white-paper-2026-11.pdf"),
         str(tmp_path / "page")],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000  # text, tables, charts


def test_one_units_section_alone(database, tmp_path):
    result = report(database, "--month", MONTH, "--unit", "U3302", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    text = pdf_text(tmp_path / "white-paper-2026-11-U3302.pdf")
    assert "U3302 执法质量白皮书" in text
    assert ranking_row(3, "U3302", "-32.0").search(text)
    assert "U3301" not in text and "U3303" not in text
    assert row("C203", "拘留后提请批准逮捕", "超期", "2026-11-28", "00:00", "72.0", "整改期内",
               "未处理").search(text)


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["--month", "2026-13"], 2, "月份应为 YYYY-MM 格式 / month must be YYYY-MM"),
        (["--month", "2099-01"], 2, "2099年1月尚未结束 / month 2099-01 is not over yet"),
        (["--month", "2026-08"], 3, "2026年8月没有应办事项或违规记录"),
        (["--month", MONTH, "--unit", "U9999"], 3, "未知单位 U9999 / unknown unit 'U9999'"),
        (["--month", "2026-08", "--unit", "U3301"], 3, "单位 U3301 在2026年8月没有应办事项"),
        (["--month", MONTH, "--unit", " "], 2, "--unit 不能为空"),
    ],
)
def test_bad_requests_end_with_a_message(database, tmp_path, args, code, message):
    result = report(database, *args, "--out", str(tmp_path / "out"))
    assert result.returncode == code, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # nothing written


def test_wrong_reader_password_is_reported_without_it(database, tmp_path):
    secret = "not-the-password-4711"
    result = report(database, "--month", MONTH, "--out", str(tmp_path),
                    CASEWATCH_CLICKHOUSE_READER_PASSWORD=secret)
    assert result.returncode == 4, result.stderr
    assert "无法读取 ClickHouse / cannot read ClickHouse" in result.stderr
    assert secret not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_an_unreachable_server_is_reported(database, tmp_path):
    result = report(database, "--month", MONTH, "--out", str(tmp_path),
                    CASEWATCH_CLICKHOUSE_PORT="18299")  # nothing listens there
    assert result.returncode == 4
    assert result.stderr.strip().splitlines() == [
        "casewatch report: 无法读取 ClickHouse / cannot read ClickHouse "
        f"(ClickHouse(casewatch_reader@127.0.0.1:18299, database={database})): "
        "Connection refused (127.0.0.1:18299) (code 210)"
    ]


def test_a_database_without_tables_is_reported(database, tmp_path):
    result = report("casewatch_report_missing_db", "--month", MONTH, "--out", str(tmp_path))
    assert result.returncode == 4, result.stderr
    assert "cannot read ClickHouse" in result.stderr and "Traceback" not in result.stderr
    assert "casewatch_report_missing_db" in result.stderr


def test_a_bad_scoring_file_is_refused(database, tmp_path):
    bad = tmp_path / "scoring.toml"
    bad.write_text("[score]\nbase = 'x'\n", encoding="utf-8")
    result = report(database, "--month", MONTH, "--out", str(tmp_path), "--scoring", str(bad))
    assert result.returncode == 2
    assert "评分规则无效 / scoring model invalid: scoring.toml:" in result.stderr
