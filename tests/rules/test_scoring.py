"""rules/scoring.py and rules/scoring.toml: the model as data, checked; the formula; a month
with thousands of obligations per unit ranks without ties at a clamp."""

import random
from dataclasses import replace
from datetime import date, datetime

import pytest

from rules.scoring import (
    SCORING_FILE,
    Item,
    Rectification,
    ScoringError,
    load_scoring,
    parse_scoring,
    rectification_state,
    score_unit,
)
from schemas.timefmt import CST

MODEL = load_scoring()
DAY = 86400
TEXT = SCORING_FILE.read_text(encoding="utf-8")
R = Rectification


def test_shipped_model_reads_as_documented():
    assert (MODEL.base, MODEL.min_stake) == (100.0, 100.0)
    assert [(b.up_to_hours, b.points) for b in MODEL.overdue["statutory"]] == [
        (24.0, 2.0), (72.0, 4.0), (None, 8.0)
    ]
    assert [(b.up_to_hours, b.points) for b in MODEL.overdue["policy"]] == [
        (24.0, 1.0), (72.0, 2.0), (None, 4.0)
    ]
    assert MODEL.violation == {"statutory": 10.0, "policy": 5.0}
    assert (MODEL.rectify_days, MODEL.rectify_late, MODEL.rectify_missing) == (7.0, 2.0, 4.0)
    assert MODEL.loop_started == {"default": date(2026, 1, 1)}
    assert MODEL.weights == {"platform": 1.0, "self_check": 0.5, "cross_check": 1.0,
                             "patrol": 1.0, "case_review": 1.0, "visit": 1.0}


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


LOOP = int(datetime(2026, 1, 1, tzinfo=CST).timestamp())


def test_rectification_state_against_the_allowed_days():
    arose, end = LOOP + DAY, LOOP + 31 * DAY
    state = lambda rect, arose=arose: rectification_state(MODEL, "U1", arose, rect, end)  # noqa: E731
    assert state(arose + 7 * DAY) is R.on_time
    assert state(arose + 7 * DAY + 1) is R.late
    assert state(None) is R.missing
    assert state(None, end - 7 * DAY) is R.missing
    assert state(None, end - 7 * DAY + 1) is R.pending


def test_before_the_units_loop_started_rectification_is_never_scored():
    model = replace(MODEL, loop_started={"default": date(2026, 3, 1), "U2": date(2026, 1, 1)})
    end = LOOP + 31 * DAY
    assert rectification_state(model, "U1", LOOP + DAY, None, end) is R.unscored
    assert rectification_state(model, "U2", LOOP + DAY, None, end) is R.missing
    assert rectification_state(replace(MODEL, loop_started={}), "U2", LOOP, None, end) is (
        R.unscored)
    assert model.loop_start_ts("U1") == int(datetime(2026, 3, 1, tzinfo=CST).timestamp())


def late(kind: str, hours: float, rect: R = R.unscored, source="platform") -> Item:
    return Item(source, "obligation", MODEL.overdue_stake(kind),
                MODEL.overdue_points(kind, hours), rect)


def on_time(kind: str = "statutory", rect: R = R.not_needed) -> Item:
    return Item("platform", "obligation", MODEL.overdue_stake(kind), 0.0, rect)


def test_worked_example_of_the_docs():
    """docs/quality.md: U3302 in November 2026 (tests/support/quality_seed.py)."""
    items = [
        on_time(),  # B5
        late("statutory", 48.0, R.late),  # B1: 4 + 2
        late("statutory", 144.0, R.pending),  # B2: 8
        late("statutory", 72.0, R.pending),  # B3: 4
        late("policy", 384.0, R.missing),  # VO2: 4 + 4
        Item("platform", "violation", 10.0, 10.0, R.pending),  # V1
        Item("cross_check", "problem", 3.0, 3.0, R.late),  # P2: 3 + 2
        Item("patrol", "problem", 2.0, 2.0, R.missing),  # P3: 2 + 4
    ]
    score = score_unit(MODEL, items)
    assert score.stake == 4 * 12 + 8 + 14 + 7 + 6 == 83.0
    assert (score.overdue_points, score.violation_points, score.problem_points,
            score.rectification_points) == (20.0, 10.0, 5.0, 12.0)
    assert score.lost == 47.0 and score.workload == 8
    assert score.score == pytest.approx(53.0)  # 100 x (1 - 47 / max(83, 100))


def test_weights_apply_to_a_sources_points():
    self_found = score_unit(MODEL, [Item("self_check", "problem", 4.0, 4.0, R.unscored)] * 50)
    inspected = score_unit(MODEL, [Item("patrol", "problem", 4.0, 4.0, R.unscored)] * 50)
    assert (self_found.stake, self_found.problem_points) == (100.0, 100.0)
    assert (inspected.stake, inspected.problem_points) == (200.0, 200.0)
    with pytest.raises(ScoringError, match="unknown source"):
        score_unit(MODEL, [Item("rumour", "problem", 1.0, 1.0, R.unscored)])


def test_score_is_a_rate_of_the_points_at_stake():
    assert score_unit(MODEL, [on_time()] * 40).score == 100.0
    worst = [late("statutory", 999.0, R.missing)] * 50
    assert score_unit(MODEL, worst).score == 0.0  # lost everything at stake
    small = [late("statutory", 10.0)]  # 2 of 8 at stake, counted as 100
    assert score_unit(MODEL, small).score == pytest.approx(98.0)


def test_unscored_pending_and_on_time_rectification_cost_nothing():
    for state in (R.unscored, R.pending, R.on_time, R.not_needed):
        s = score_unit(MODEL, [Item("platform", "violation", 5.0, 5.0, state)])
        assert s.rectification_points == 0
        assert s.stake == 5.0 + (0 if state is R.unscored else 4.0)


def test_thousands_of_obligations_per_unit_rank_without_ties():
    """January at real volumes: every unit was at 0.0 under the clamped raw points; as a
    rate each unit keeps its own score, in the order of how late it was."""
    rng = random.Random(7)
    scores = {}
    for n in range(24):
        share_late = 0.05 + 0.03 * n  # unit n is later than unit n - 1
        items = []
        for _ in range(3000 + rng.randrange(2000)):
            if rng.random() < share_late:
                items.append(late("statutory", rng.uniform(1, 400), rng.choice([R.late, R.missing,
                                                                                 R.on_time])))
            else:
                items.append(on_time())
        items += [Item("platform", "violation", 10.0, 10.0, R.missing)] * (5 + n)
        scores[f"U{n:02d}"] = score_unit(MODEL, items).score
    values = list(scores.values())
    assert len(set(values)) == 24  # no ties
    assert all(0.0 < v < 100.0 for v in values)  # nothing at a clamp
    assert sorted(scores, key=scores.get, reverse=True) == sorted(scores)  # the right order


def _edit(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    "text,message",
    [
        ("[score\nbase = 1", "not valid TOML"),
        (_edit("[violation]", "[violations]"), r"\[violation\] is missing"),
        (_edit("base = 100 ", 'base = "100" '), "score.base must be a number"),
        (_edit("base = 100 ", "base = true "), "score.base must be a number"),
        (_edit("base = 100 ", "base = nan "), "score.base must be a number"),
        (_edit("min_stake = 100", "min_stake = 0"), "score.min_stake must be at least 1"),
        (_edit("late = 2 ", "late = -2 "), "rectification.late must be at least 0"),
        (_edit("default = 2026-01-01", 'default = "2026-01-01"'), "must be a date"),
        (_edit("default = 2026-01-01", "default = 2026-01-01T08:00:00"), "must be a date"),
        (_edit("visit = 1.0", "visit = 1.0\nrumour = 1.0"), r"unknown source\(s\) \['rumour'\]"),
        (_edit("patrol = 1.0", "patrol = -1"), "sources.patrol must be at least 0"),
        (_edit("[sources]", "[source]"), r"\[sources\] is missing"),
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
