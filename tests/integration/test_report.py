"""`casewatch report` against the stack's ClickHouse 18.16, read as the read-only user
`casewatch_reader` that deploy/stack creates: the white paper and the daily bulletin of the
seeded dataset (tests/support/quality_seed.py, written twice into a fresh database) as HTML
and PDF; the PDFs' text (pdftotext) carries exactly the known figures, the first pages
render (pdftoppm). A closed month (frozen on this test's own month-closures topic) stays
as it was when a late event arrives, and lists the revision. Bad input ends with a message
and an exit code, never a traceback, and a bad --out before anything is read.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.obligation_state import ObligationState
from schemas.units import UnitRegistry, units_file
from sinks.clickhouse.client import ClickHouse, Settings
from sinks.clickhouse.reader import reader_settings, wait_for_reader
from sinks.clickhouse.rows import OBLIGATION_COLUMNS, obligation_row
from tests.support.kafka_topics import delete_topics_with_prefix, read_topic
from tests.support.quality_seed import (
    EXPECTED_FIGURES,
    EXPECTED_OPEN_AT_END,
    EXPECTED_SCORES,
    MONTH,
    PREVIOUS,
    nov,
    seed,
)

REPO = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMAGES = REPO / "docs" / "images"  # the README's pictures of the paper and the bulletin
PREFIX = f"rp{uuid.uuid4().hex[:8]}."  # this module's month-closures topic
UNITS = UnitRegistry.load(units_file())  # deploy/units.toml: the documents name the units


def label(unit: str) -> str:
    """A unit as the paper and the bulletin name it: `名称（id）`."""
    return f"{UNITS.name(unit)}（{unit}）"


@pytest.fixture(scope="module")
def database(stack) -> Iterator[str]:
    ch = ClickHouse(Settings.from_env())
    ch.wait_until_available(timeout=60)
    wait_for_reader(reader_settings(), timeout=30)
    db = f"casewatch_report_{uuid.uuid4().hex[:10]}"
    seed(ch, ch.execute, db)
    yield db
    ch.execute(f"DROP DATABASE IF EXISTS {db}")
    delete_topics_with_prefix(stack.bootstrap, PREFIX)


def report(db: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CASEWATCH_CLICKHOUSE_")}
    environ.update({"CASEWATCH_CLICKHOUSE_DATABASE": db, "CASEWATCH_TOPIC_PREFIX": PREFIX,
                    **env})
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


def ranking_row(rank: int, unit: str, change: str, entered: int) -> re.Pattern:
    """The ranking's row: the unit's name wraps in its cell, the name on the line above the
    figures, `（id）` on the line below."""
    due, met, missed, still_open, violations, mean, p90, _, turnaround = (
        EXPECTED_FIGURES[MONTH][unit]
    )
    score = EXPECTED_SCORES[MONTH][unit][0]
    rate = f"{met / due * 100:.1f}%"
    figures = row(rank, f"{score:.2f}", change, due, met, rate, missed, still_open,
                  violations, entered, fmt(mean), fmt(p90), fmt(turnaround)).pattern
    return re.compile(rf"^\s*{re.escape(UNITS.name(unit))}\s*\n{figures[1:-1]}\n"
                      rf"\s*{re.escape(f'（{unit}）')}\s*$", re.M)


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
    # ranking: score, trend against October, figures, problems found by inspections
    assert ranking_row(1, "U3301", "+1.0", 2).search(text), text
    assert ranking_row(2, "U3303", "—", 1).search(text), text
    assert ranking_row(3, "U3302", "-33.0", 2).search(text), text
    # score parts: items, stake, overdue, violation, problem, rectification, score, last month
    workload = {"U3301": 7, "U3302": 8, "U3303": 4}
    for unit, (score, stake, overdue, violation, problem, rect) in EXPECTED_SCORES[MONTH].items():
        before = EXPECTED_SCORES[PREVIOUS].get(unit)
        parts = row(label(unit), workload[unit], fmt(stake), fmt(overdue), fmt(violation),
                    fmt(problem), fmt(rect), f"{score:.2f}", f"{before[0]:.2f}" if before else "—")
        assert parts.search(text), unit
    # each unit's problem list: source, case, rule or type, kind, due or found, how late,
    # rectification, the last action
    assert row("平台预警", "C201", "拘留后通知家属", "超期", "2026-11-02", "00:00", "48.0",
               "逾期整改", "已整改").search(text)
    assert row("交叉检查", "C201", "查封扣押财物未当场开列清单", "问题", "2026-11-12", "10:00",
               "—", "逾期整改", "已退回").search(text)
    assert row("网上巡查", "—", "执法态度、作风问题", "问题", "2026-11-20", "00:00", "—",
               "未整改（已超期）", "未处理").search(text)
    assert row("社会化访评", "C101", "访评不满意", "问题", "2026-11-15", "10:00", "—", "按时整改",
               "已核验").search(text)
    assert row("平台预警", "C301", "强制措施审批不足", "违规", "2026-11-08", "09:00", "—",
               "按时整改", "已核验").search(text)
    # still overdue at month end, earliest due first
    starts = [text.index(f"{fmt(late)}\n") for *_, late in EXPECTED_OPEN_AT_END]
    assert starts == sorted(starts)
    assert row(label("U3302"), "C204", "拘留后提请批准逮捕", "2026-10-20", "00:00",
               "1008.0").search(text)
    # the most broken rule; the sources; the visits
    assert row("逮捕后侦查羁押期限", "custody_limit", "法定", 2, 0, 2).search(text)
    for source, total, units, still_open in (("平台预警", 7, 3, 4), ("单位自查", 1, 1, 0),
                                             ("交叉检查", 1, 1, 1), ("网上巡查", 1, 1, 1),
                                             ("案件评查", 1, 1, 2), ("社会化访评", 1, 1, 0)):
        assert row(source, total, units, still_open).search(text), source
    assert row(label("U3301"), 1, 4, 3, 3, "100.0%", 1, 1, 1, "66.7%").search(text)
    assert row(label("U3303"), 1, 1, 1, 0, "0.0%", 0, 0, 0, "—").search(text)
    assert "<svg" in html.read_text(encoding="utf-8")


def first_page(pdf: Path, image: Path) -> bytes:
    """Page 1 of `pdf` as a PNG at 90 dpi (A4: 745 x 1053) written to `image`."""
    tool = shutil.which("pdftoppm") or pytest.fail("pdftoppm missing: run deploy/os-deps")
    subprocess.run([tool, "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(image.with_suffix(""))], check=True)
    return image.read_bytes()


def test_first_page_renders_as_an_image(whole):
    _, out = whole
    data = first_page(out / "white-paper-2026-11.pdf", IMAGES / "white-paper-page1.png")
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000  # text, tables, charts


def test_one_units_section_alone(database, tmp_path):
    result = report(database, "--month", MONTH, "--unit", "U3302", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    text = pdf_text(tmp_path / "white-paper-2026-11-U3302.pdf")
    assert f"{label('U3302')} 执法质量白皮书" in text
    assert ranking_row(3, "U3302", "-33.0", 2).search(text)
    assert "U3301" not in text and "U3303" not in text
    assert row("平台预警", "C203", "拘留后提请批准逮捕", "超期", "2026-11-28", "00:00", "72.0",
               "整改期内", "未处理").search(text)


@pytest.mark.parametrize(
    "args,code,message",
    [
        (["--month", "2026-13"], 2, "月份应为 YYYY-MM 格式 / month must be YYYY-MM"),
        (["--month", "2099-01"], 2, "2099年1月尚未结束 / month 2099-01 is not over yet"),
        (["--month", "2026-08"], 3, "2026年8月没有应办事项或问题记录"),
        (["--month", MONTH, "--unit", "U9999"], 3, "未知单位 U9999 / unknown unit 'U9999'"),
        (["--month", MONTH, "--unit", "U3399"], 3, "未知单位 U3399"),  # a system warning's
        (["--month", "2026-08", "--unit", "U3301"], 3, "单位 U3301 在2026年8月没有应办事项"),
        (["--month", MONTH, "--unit", " "], 2, "--unit 不能为空"),
        (["--day", "2026-11-31"], 2, "日期应为 YYYY-MM-DD 格式 / day must be YYYY-MM-DD"),
        (["--day", "2099-01-01"], 2, "day 2099-01-01 has not begun"),
        (["--day", "2026-11-26", "--close"], 2, "--close closes a --month"),
        (["--month", MONTH, "--send"], 2, "--send sends a --day bulletin"),
        (["--day", "2026-11-26", "--unit", "U9999"], 3, "未知单位 U9999"),
        (["--month", MONTH, "--day", "2026-11-26"], 2, "not allowed with argument"),
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


@pytest.mark.parametrize("make_out", ["file", "under_file", "unwritable"])
def test_a_bad_out_is_refused_before_anything_is_read(database, tmp_path, make_out):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    out = {"file": blocker, "under_file": blocker / "reports",
           "unwritable": locked / "reports"}[make_out]
    if make_out == "unwritable" and os.access(locked, os.W_OK):
        pytest.skip("running as a user who may write anywhere (root)")
    # ClickHouse is not even reachable: the answer comes before any query
    result = report(database, "--month", MONTH, "--out", str(out),
                    CASEWATCH_CLICKHOUSE_PORT="18299")
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"casewatch report: --out {out}: ") and "Traceback" not in line
    assert "不是目录 / is not a directory" in line or "不可写 / is not writable" in line


def test_send_with_kafka_out_of_reach_exits_4_before_reading(database, tmp_path):
    result = report(database, "--day", "2026-11-26", "--out", str(tmp_path / "out"), "--send",
                    CASEWATCH_KAFKA_BOOTSTRAP="127.0.0.1:1")
    assert result.returncode == 4, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("casewatch report: --send: 无法连接 Kafka / cannot reach Kafka")
    assert not (tmp_path / "out").exists()  # nothing read, nothing written


def test_the_daily_bulletin_as_pdf_and_sent_to_the_notifier(stack, database, tmp_path):
    result = report(database, "--day", "2026-11-26", "--out", str(tmp_path / "out"), "--send")
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "out" / "bulletin-2026-11-26.pdf"
    assert result.stdout.split() == [str(pdf.with_suffix(".html")), str(pdf)]
    text = pdf_text(pdf)
    assert "执法监督日通报" in text and "2026年11月26日" in text
    assert "数据截至 As of 2026-11-27 00:00" in text
    assert row(label("U3302"), 0, 0, 1, 0, 3, 0, 0, 1).search(text), text
    assert row(label("U3302"), "C204", "拘留后提请批准逮捕", "2026-10-20", "00:00",
               "912.0").search(text)
    assert row(label("U3302"), "C206", "结案后回访", "2026-11-15", "00:00", "288.0").search(text)
    assert f"{label('U3301')}、{label('U3303')}" in text
    (sent,) = read_topic(stack.bootstrap, PREFIX + "bulletins")
    assert sent.key == b"bulletin-2026-11-26"
    doc = json.loads(sent.value)
    assert (doc["day"], doc["unit_id"], doc["html"], doc["pdf"]) == (
        "2026-11-26", None, str(pdf.with_suffix(".html")), str(pdf))
    assert doc["figures"]["units_clear"] == 2  # U3301 and U3303, as the bulletin lists them
    info = subprocess.run([shutil.which("pdfinfo") or "pdfinfo", str(pdf)], capture_output=True,
                          text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info  # one page
    assert first_page(pdf, IMAGES / "bulletin.png").startswith(PNG_MAGIC)


def test_a_closed_month_stays_as_it_was_and_lists_the_revisions(stack, tmp_path):
    ch = ClickHouse(Settings.from_env())
    db = f"casewatch_close_{uuid.uuid4().hex[:10]}"
    seed(ch, ch.execute, db)
    try:
        closed = report(db, "--month", MONTH, "--close", "--out", str(tmp_path / "closed"))
        assert closed.returncode == 0, closed.stderr
        frozen = pdf_text(tmp_path / "closed" / "white-paper-2026-11.pdf")
        assert "本月已于" in frozen and ranking_row(1, "U3301", "+1.0", 2).search(frozen)
        (record,) = [r for r in read_topic(stack.bootstrap, PREFIX + "month-closures")
                     if r.key == MONTH.encode()]
        assert json.loads(record.value)["month"] == MONTH
        again = report(db, "--month", MONTH, "--close", "--out", str(tmp_path / "x"))
        assert again.returncode == 2 and "was closed already" in again.stderr

        # a late event: U3301 had another obligation due in November, met 30 hours late
        late = ObligationState(
            obligation_id="A9", rule_id="det_family_notice", rule_kind="statutory",
            case_id="C109", person_id=None, unit_id="U3301", trigger_event_id="e-A9",
            triggered_at=nov(9), due_at=nov(10), status="resolved", late=True,
            resolved_at=nov(11, 6), extensions=0, level="overdue", changed_at=nov(11, 6))
        ch.insert(f"{db}.obligations", OBLIGATION_COLUMNS, [obligation_row(late, 3)])
        later = report(db, "--month", MONTH, "--out", str(tmp_path / "later"))
        assert later.returncode == 0, later.stderr
        text = pdf_text(tmp_path / "later" / "white-paper-2026-11.pdf")
        assert ranking_row(1, "U3301", "+1.0", 2).search(text)  # the frozen figures
        revisions = text.rsplit("关账后的修订", 1)[1]
        assert row(label("U3301"), "应办 due", 5, 6).search(revisions), revisions
        assert row(label("U3301"), "得分 score", "95.00", "87.00").search(revisions)
        assert row(label("U3303"), "名次 rank", 2, 1).search(revisions)
        unit = report(db, "--month", MONTH, "--unit", "U3301", "--out", str(tmp_path / "u"))
        assert unit.returncode == 0, unit.stderr
        assert "U3303" not in pdf_text(tmp_path / "u" / "white-paper-2026-11-U3301.pdf")
    finally:
        ch.execute(f"DROP DATABASE IF EXISTS {db}")
