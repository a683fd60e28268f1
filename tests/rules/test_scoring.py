"""rules/scoring.py and rules/scoring.toml: the model as data, checked; the formula."""

import pytest

from rules.scoring import (
    SCORING_FILE,
    Rectification,
    ScoredProblem,
    ScoringError,
    load_scoring,
    parse_scoring,
    rectification_state,
    score_unit,
)

MODEL = load_scoring()
DAY = 86400
TEXT = SCORING_FILE.read_text(encoding="utf-8")


def test_shipped_model_reads_as_documented():
    assert (MODEL.base, MODEL.per, MODEL.min_workload) == (100.0, 100.0, 50)
    assert [(b.up_to_hours, b.points) for b in MODEL.overdue["statutory"]] == [
        (24.0, 2.0), (72.0, 4.0), (None, 8.0)
    ]
    assert [(b.up_to_hours, b.points) for b in MODEL.overdue["policy"]] == [
        (24.0, 1.0), (72.0, 2.0), (None, 4.0)
    ]
    assert MODEL.violation == {"statutory": 10.0, "policy": 5.0}
    assert (MODEL.rectify_days, MODEL.rectify_late, MODEL.rectify_missing) == (7.0, 2.0, 4.0)
    assert MODEL.on_time_credit == 0.5


@pytest.mark.parametrize(
    "kind,hours,points",
    [
        ("statutory", 0.5, 2.0),
        ("statutory", 24.0, 2.0),  # the band's limit belongs to it
        ("statutory", 24.01, 4.0),
        ("statutory", 72.0, 4.0),
        ("statutory", 1000.0, 8.0),
        ("policy", 12.0, 1.0),
        ("policy", 73.0, 4.0),
    ],
)
def test_overdue_points_by_kind_and_band(kind, hours, points):
    assert MODEL.overdue_points(kind, hours) == points


def test_rectification_state_against_the_allowed_days():
    arose, end = 1_000_000, 1_000_000 + 30 * DAY
    assert rectification_state(MODEL, arose, arose + 7 * DAY, end) is Rectification.on_time
    assert rectification_state(MODEL, arose, arose + 7 * DAY + 1, end) is Rectification.late
    assert rectification_state(MODEL, arose, None, end) is Rectification.missing
    assert rectification_state(MODEL, end - 7 * DAY, None, end) is Rectification.missing
    assert rectification_state(MODEL, end - 7 * DAY + 1, None, end) is Rectification.pending


def test_worked_example_of_the_docs():
    """docs/quality.md: U3302 in November 2026."""
    problems = [
        ScoredProblem("statutory", 48.0, Rectification.late),  # 4 + 2
        ScoredProblem("statutory", 144.0, Rectification.pending),  # 8
        ScoredProblem("statutory", 72.0, Rectification.pending),  # 4
        ScoredProblem("statutory", None, Rectification.pending),  # violation: 10
    ]
    score = score_unit(MODEL, on_time=1, workload=5, problems=problems)
    assert (score.overdue_points, score.violation_points, score.rectification_points) == (
        16.0, 10.0, 2.0
    )
    assert score.credit == 0.5 and score.deductions == 28.0
    assert score.score == 45.0  # 100 - 27.5 * 100 / max(5, 50)


def test_score_normalises_by_workload_above_the_minimum():
    problems = [ScoredProblem("statutory", 10.0, Rectification.unscored)] * 10  # 20 points
    assert score_unit(MODEL, on_time=0, workload=200, problems=problems).score == 90.0
    assert score_unit(MODEL, on_time=0, workload=20, problems=problems).score == 60.0


def test_score_is_clamped_to_zero_and_base():
    worst = [ScoredProblem("statutory", None, Rectification.missing)] * 10
    assert score_unit(MODEL, on_time=0, workload=10, problems=worst).score == 0.0
    assert score_unit(MODEL, on_time=40, workload=40, problems=[]).score == 100.0


def test_unscored_and_pending_rectification_cost_nothing():
    for state in (Rectification.unscored, Rectification.pending, Rectification.on_time):
        p = [ScoredProblem("policy", None, state)]
        assert score_unit(MODEL, on_time=0, workload=0, problems=p).rectification_points == 0


def test_unknown_rule_kind_is_refused():
    with pytest.raises(ScoringError, match="rule kind"):
        score_unit(MODEL, on_time=0, workload=1, problems=[ScoredProblem("x", 1.0, "unscored")])


def _edit(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    "text,message",
    [
        ("[score\nbase = 1", "not valid TOML"),
        (_edit("[violation]", "[violations]"), r"\[violation\] is missing"),
        (_edit("base = 100", 'base = "100"'), "score.base must be a number"),
        (_edit("base = 100", "base = true"), "score.base must be a number"),
        (_edit("base = 100", "base = nan"), "score.base must be a number"),
        (_edit("per = 100", "per = 0"), "score.per must be at least 1"),
        (_edit("min_workload = 50", "min_workload = 2.5"), "whole number"),
        (_edit("late = 2 ", "late = -2 "), "rectification.late must be at least 0"),
        (_edit("on_time = 0.5", "on_time = []"), "credit.on_time must be a number"),
        (_edit("up_to_hours = 72\npoints = 4", "up_to_hours = 12\npoints = 4"), "must grow"),
        (_edit("[[overdue.statutory]]\npoints = 8", "[[overdue.statutory]]\nup_to_hours = 99\n"
               "points = 8"), "only the last band"),
        (_edit("[[overdue.statutory]]\nup_to_hours = 24\npoints = 2", "[[overdue.statutory]]\n"
               "points = 2"), "only the last band"),
        (TEXT[: TEXT.index("[[overdue.policy]]")] + TEXT[TEXT.index("# Points per procedural"):],
         r"\[\[overdue.policy\]\] bands are missing"),
    ],
)
def test_malformed_model_is_refused_with_the_key(text, message):
    with pytest.raises(ScoringError, match=message):
        parse_scoring(text)


def test_load_scoring_names_the_file(tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text("[score]\n", encoding="utf-8")
    with pytest.raises(ScoringError, match=r"^mine\.toml: "):
        load_scoring(bad)
