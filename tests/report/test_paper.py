"""report/paper.py and the HTML of report/render.py over the seeded dataset in chDB (the PDF
and the CLI against the 18.16 server: tests/integration/test_report.py)."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from report.month import Month
from report.paper import NoData, build_paper
from report.render import change, file_stem, hours, percent, render_html, score
from rules.scoring import Rectification, load_scoring
from tests.support.databases import on_chdb
from tests.support.quality_seed import (
    EXPECTED_PROBLEMS,
    EXPECTED_RANKING,
    EXPECTED_SCORES,
    EXPECTED_SOURCES,
    EXPECTED_VISITS,
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
        yield embedded.execute


def paper(execute, month=MONTH, unit=None, model=MODEL):
    return build_paper(execute, "paper", Month.parse(month), model, now=NOW, unit=unit)


def parts(section) -> tuple:
    s = section.score
    return (round(s.score, 6), s.stake, s.overdue_points, s.violation_points, s.problem_points,
            s.rectification_points)


@pytest.mark.parametrize("month", [MONTH, PREVIOUS])
def test_ranking_and_scores(chdb, month):
    p = paper(chdb, month)
    assert [s.unit_id for s in p.ranking] == EXPECTED_RANKING[month]
    assert {s.unit_id: parts(s) for s in p.ranking} == EXPECTED_SCORES[month]
    assert [s.rank for s in p.ranking] == list(range(1, len(p.ranking) + 1))
    assert p.sections == p.ranking


def test_trend_against_the_previous_month(chdb):
    by_unit = {s.unit_id: s for s in paper(chdb).ranking}
    assert by_unit["U3301"].score_change == pytest.approx(1.0)
    assert by_unit["U3302"].score_change == pytest.approx(-33.0)
    assert by_unit["U3303"].score_change is None  # no figures in October
    assert by_unit["U3302"].on_time_rate_change == pytest.approx(0.2 - 0.5)


def test_problem_lines_carry_their_source_and_rectification(chdb):
    got = {
        s.unit_id: [(p.row.item_id, p.row.case_id, p.row.source, p.row.code, p.row.late_hours,
                     p.rectification.value) for p in s.problems]
        for s in paper(chdb).ranking
    }
    assert got == EXPECTED_PROBLEMS
    titles = {p.row.code: p.title for s in paper(chdb).ranking for p in s.problems}
    assert titles["custody_limit"] == "逮捕后侦查羁押期限"
    assert titles["property_unregistered"] == "查封扣押财物未当场开列清单"


def test_a_section_per_source_and_the_visits(chdb):
    p = paper(chdb)
    assert [s.source for s in p.sources] == list(EXPECTED_SOURCES)
    assert {s.source: dict(s.by_unit) for s in p.sources} == EXPECTED_SOURCES
    by_source = {s.source: s for s in p.sources}
    assert by_source["platform"].open_by_unit == {"U3302": 4}
    assert by_source["case_review"].open_by_unit == {"U3302": 1, "U3303": 1}
    assert by_source["self_check"].open_total == 0 and by_source["platform"].total == 7
    assert by_source["patrol"].types[0].title == "执法态度、作风问题"
    assert {v.unit_id: (v.due, v.made, v.results, v.replied, v.satisfied,
                        v.basically_satisfied, v.unsatisfied) for v in p.visits} == EXPECTED_VISITS
    u3301 = next(s for s in p.ranking if s.unit_id == "U3301")
    assert u3301.by_source == {"platform": 1, "self_check": 1, "visit": 1}


def test_one_unit_alone(chdb):
    p = paper(chdb, unit="U3302")
    assert [s.unit_id for s in p.sections] == ["U3302"] and p.sections[0].rank == 3
    assert len(p.ranking) == 3  # its rank is among all units
    assert [o.row.item_id for o in p.open_at_end] == ["B4", "VO2", "B2", "B3"]
    assert [v.unit_id for v in p.visits] == ["U3302"]
    assert all(u == "U3302" for s in p.sources for u, _ in s.by_unit)
    assert file_stem(p) == "white-paper-2026-11-U3302"


def test_file_names_are_safe_for_any_unit_id(chdb):
    p = paper(chdb, unit="U3302")
    assert file_stem(replace(p, unit="../a b/分局")) == "white-paper-2026-11-___a_b_分局"
    assert file_stem(replace(p, unit=None)) == "white-paper-2026-11"


def test_rectification_counts_only_from_the_units_loop_start(chdb):
    """A first acknowledgement months later must not make every earlier problem of every
    unit 'not rectified' (the bug of has_actions): before its loop started, a unit's
    problems are not scored for rectification; after, each from its own actions."""
    late_start = replace(MODEL, loop_started={"default": date(2026, 11, 20),
                                              "U3303": date(2027, 1, 1)})
    p = paper(chdb, model=late_start)
    states = {line.row.item_id: line.rectification for s in p.ranking for line in s.problems}
    assert states["B1"] is Rectification.unscored  # arose Nov 2, before U3302's loop
    assert states["VO2"] is Rectification.unscored
    assert states["A3"] is Rectification.on_time  # arose Nov 20: scored
    assert states["P4"] is Rectification.unscored  # U3303's loop starts next year
    u3302 = next(s for s in p.ranking if s.unit_id == "U3302")
    # only B2, V1, B3 (pending) and P3 (missing: arose Nov 20) remain scored
    assert u3302.score.rectification_points == 4.0
    nothing = replace(MODEL, loop_started={})
    assert all(line.rectification in (Rectification.unscored,)
               for s in paper(chdb, model=nothing).ranking for line in s.problems)


@pytest.mark.parametrize(
    "month,unit,message",
    [
        ("2026-08", None, "2026年8月没有应办事项或问题记录 / no obligations or problems in 2026"),
        (MONTH, "U9999", "未知单位 U9999 / unknown unit 'U9999'"),
        (MONTH, "U3399", "未知单位 U3399"),  # named only by a system warning
        ("2026-08", "U3303", "单位 U3303 在2026年8月没有应办事项或问题记录"),
    ],
)
def test_nothing_to_report_says_why(chdb, month, unit, message):
    with pytest.raises(NoData) as exc:
        paper(chdb, month, unit)
    assert message in str(exc.value)


def test_html_holds_the_figures(chdb):
    html = render_html(paper(chdb), MODEL)
    assert html.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in html
    for text in ("执法质量白皮书", "2026年11月", "U3302", "53.00", "-33.0", "162.0", "384.0",
                 "276.0", "20.0%", "逾期整改", "已签收", "逮捕后侦查羁押期限", "1008.0",
                 "各来源问题", "交叉检查", "网上巡查", "案件评查", "社会化访评", "单位自查",
                 "平台预警", "回复率", "66.7%", "执法态度、作风问题"):
        assert text in html, text
    assert html.count("<svg") == 3
    assert "生成时间 Generated：2026-12-02 08:00（北京时间）" in html  # NOW in China time
    assert "关账" not in html.split("评分方法")[0]  # not a closed month


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
    assert (score(95.0), score(97.2349)) == ("95.00", "97.23")
