"""report/paper.py and the HTML of report/render.py over the seeded dataset in chDB (the PDF
and the CLI against the 18.16 server: tests/integration/test_report.py)."""

from datetime import UTC, datetime

import pytest

from report.month import Month
from report.paper import NoData, build_paper
from report.render import change, file_stem, hours, percent, render_html
from rules.scoring import Rectification, load_scoring
from tests.support.databases import on_chdb
from tests.support.quality_seed import (
    EXPECTED_PROBLEMS,
    EXPECTED_RANKING,
    EXPECTED_SCORES,
    MONTH,
    PREVIOUS,
    seed,
)

MODEL = load_scoring()
NOW = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def chdb(tmp_path_factory):
    with on_chdb(tmp_path_factory.mktemp("chdb-paper")) as embedded:
        seed(embedded, embedded.execute, "paper")
        seed(embedded, embedded.execute, "paper_plain", with_actions=False)
        yield embedded.execute


def paper(execute, month=MONTH, unit=None, db="paper"):
    return build_paper(execute, db, Month.parse(month), MODEL, now=NOW, unit=unit)


def parts(section) -> tuple:
    s = section.score
    return (s.score, s.overdue_points, s.violation_points, s.rectification_points, s.credit)


@pytest.mark.parametrize("month", [MONTH, PREVIOUS])
def test_ranking_and_scores(chdb, month):
    p = paper(chdb, month)
    assert [s.unit_id for s in p.ranking] == EXPECTED_RANKING[month]
    assert {s.unit_id: parts(s) for s in p.ranking} == EXPECTED_SCORES[month]
    assert [s.rank for s in p.ranking] == list(range(1, len(p.ranking) + 1))
    assert p.sections == p.ranking and p.actions_known


def test_trend_against_the_previous_month(chdb):
    by_unit = {s.unit_id: s for s in paper(chdb).ranking}
    assert by_unit["U3301"].score_change == pytest.approx(10.0)
    assert by_unit["U3302"].score_change == pytest.approx(-32.0)
    assert by_unit["U3303"].score_change is None  # no figures in October
    assert by_unit["U3302"].on_time_rate_change == pytest.approx(0.25 - 0.5)


def test_problem_lines_carry_rectification(chdb):
    got = {
        s.unit_id: [(p.row.warning_id, p.row.case_id, p.row.rule_id, p.row.late_hours,
                     p.rectification.value) for p in s.problems]
        for s in paper(chdb).ranking
    }
    assert got == EXPECTED_PROBLEMS
    titles = {p.row.rule_id: p.rule_title for s in paper(chdb).ranking for p in s.problems}
    assert titles["custody_limit"] == "逮捕后侦查羁押期限"


def test_one_unit_alone(chdb):
    p = paper(chdb, unit="U3302")
    assert [s.unit_id for s in p.sections] == ["U3302"] and p.sections[0].rank == 3
    assert len(p.ranking) == 3  # its rank is among all units
    assert [o.row.warning_id for o in p.open_at_end] == ["B4", "B2", "B3"]
    assert file_stem(p) == "white-paper-2026-11-U3302"


def test_file_names_are_safe_for_any_unit_id(chdb):
    from dataclasses import replace

    p = paper(chdb, unit="U3302")
    assert file_stem(replace(p, unit="../a b/分局")) == "white-paper-2026-11-___a_b_分局"
    assert file_stem(replace(p, unit=None)) == "white-paper-2026-11"


def test_without_actions_rectification_is_not_scored(chdb):
    p = paper(chdb, db="paper_plain")
    assert not p.actions_known
    assert all(line.rectification is Rectification.unscored
               for s in p.ranking for line in s.problems)
    by_unit = {s.unit_id: s.score.score for s in p.ranking}
    assert by_unit == {"U3301": 98.0, "U3302": 49.0, "U3303": 91.0}  # U3302: no late-rectify 2


@pytest.mark.parametrize(
    "month,unit,message",
    [
        ("2026-08", None, "2026年8月没有应办事项或违规记录 / no obligations or violations in 2026"),
        (MONTH, "U9999", "未知单位 U9999 / unknown unit 'U9999'"),
        ("2026-08", "U3303", "单位 U3303 在2026年8月没有应办事项或违规记录"),
    ],
)
def test_nothing_to_report_says_why(chdb, month, unit, message):
    with pytest.raises(NoData) as exc:
        paper(chdb, month, unit)
    assert message in str(exc.value)


def test_html_holds_the_figures(chdb):
    html = render_html(paper(chdb), MODEL)
    assert html.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in html
    for text in ("执法质量白皮书", "2026年11月", "U3302", "45.0", "-32.0", "88.0", "144.0",
                 "240.0", "25.0%", "逾期整改", "已签收", "逮捕后侦查羁押期限", "1008.0"):
        assert text in html, text
    assert html.count("<svg") == 3
    assert "生成时间 Generated：2026-12-02 08:00（北京时间）" in html  # NOW in China time


def test_unit_html_has_only_its_section(chdb):
    html = render_html(paper(chdb, unit="U3303"), MODEL)
    assert "U3303（未登记） 执法质量白皮书" in html and "U3301" not in html and "U3302" not in html
    assert "高发问题规则" not in html and html.count("<svg") == 2


def test_units_are_named_from_the_registry_and_unregistered_ones_marked(chdb):
    from schemas.units import UnitRegistry

    units = UnitRegistry.from_toml('[[units]]\nid = "U3302"\nname = "东城分局东关派出所"\n'
                                   'kind = "派出所"\n')
    html = render_html(paper(chdb), MODEL, units)
    assert "东城分局东关派出所（U3302）" in html and "U3301（未登记）" in html


def test_formatting_helpers():
    assert (hours(None), hours(88.0), hours(1008.04)) == ("—", "88.0", "1008.0")
    assert (percent(None), percent(2 / 3), percent(1.0)) == ("—", "66.7%", "100.0%")
    assert (change(None), change(10.0), change(-32.0), change(-0.01)) == (
        "—", "+10.0", "-32.0", "0.0"
    )
    assert change(-0.25 * 100, "%") == "-25.0%"
