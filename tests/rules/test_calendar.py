"""rules.calendar: the official schedule where the package has it, a flagged fallback elsewhere.

rules.md: "Official holidays and adjusted working days come from a maintained calendar
package; for a year it does not yet cover, Saturdays and Sundays count as holidays, extra
dates can be configured, and a metric says the fallback was used. The official 2026 schedule
(e.g. National Day 10-01 to 10-07, 10-08 a working day) must be honoured."
"""

from datetime import date

import pytest
from rulekit import Case, cst

from rules.calendar import WorkCalendar
from rules.engine import Engine


def d(text: str) -> date:
    return date.fromisoformat(text)


OFFICIAL_2026 = [
    ("2026-10-01", False), ("2026-10-04", False), ("2026-10-07", False),
    ("2026-10-08", True),   # Thursday after National Day
    ("2026-10-10", True),   # Saturday, adjusted working day
    ("2026-10-11", False),  # an ordinary Sunday
    ("2026-09-20", True),   # Sunday, adjusted working day
    ("2026-05-01", False), ("2026-05-05", False), ("2026-05-06", True),
    ("2026-02-28", True),   # Saturday, adjusted working day (Spring Festival)
    ("2026-05-11", True),   # an ordinary Monday
    ("2026-05-16", False),  # an ordinary Saturday
]


@pytest.mark.parametrize("day, workday", OFFICIAL_2026, ids=[x for x, _ in OFFICIAL_2026])
def test_official_2026_schedule(day, workday):
    calendar = WorkCalendar()
    assert calendar.is_workday(d(day)) is workday
    assert calendar.fallback_years == set()


@pytest.mark.parametrize("day, covered", [("2026-12-31", True), ("2027-01-04", False)])
def test_covers(day, covered):
    assert WorkCalendar().covers(d(day)) is covered


FALLBACK_2027 = [
    ("2027-01-02", False),  # Saturday
    ("2027-01-03", False),  # Sunday
    ("2027-01-04", True),   # Monday
    ("2027-01-01", True),   # a Friday: not a holiday unless configured
    ("2027-10-01", True),   # idem
]


@pytest.mark.parametrize("day, workday", FALLBACK_2027, ids=[x for x, _ in FALLBACK_2027])
def test_fallback_year_weekends_are_holidays_and_flagged(day, workday):
    calendar = WorkCalendar()
    assert calendar.is_workday(d(day)) is workday
    assert calendar.fallback_years == {2027}


@pytest.mark.parametrize(
    "holidays, workdays, day, workday",
    [
        (["2027-01-01"], [], "2027-01-01", False),
        (["2027-10-01", "2027-10-04"], [], "2027-10-04", False),
        ([], ["2027-02-20"], "2027-02-20", True),  # Saturday made a working day
        (["2026-05-11"], [], "2026-05-11", True),  # covered year: the package decides
        ([], ["2026-10-01"], "2026-10-01", False),
    ],
    ids=["extra-holiday", "extra-holiday-weekday", "extra-workday", "ignored-2026-holiday",
         "ignored-2026-workday"],
)
def test_configured_extra_dates_apply_to_fallback_years_only(holidays, workdays, day, workday):
    calendar = WorkCalendar(extra_holidays=[d(x) for x in holidays],
                            extra_workdays=[d(x) for x in workdays])
    assert calendar.is_workday(d(day)) is workday


@pytest.mark.parametrize(
    "holidays, day, expected",
    [
        ([], "2026-10-01", "2026-10-08"),
        ([], "2026-10-10", "2026-10-10"),
        ([], "2026-12-31", "2026-12-31"),
        ([], "2027-01-02", "2027-01-04"),
        (["2027-01-01"], "2027-01-01", "2027-01-04"),
        (["2027-01-04", "2027-01-05"], "2027-01-02", "2027-01-06"),
    ],
)
def test_next_workday_from(holidays, day, expected):
    calendar = WorkCalendar(extra_holidays=[d(x) for x in holidays])
    assert calendar.next_workday_from(d(day)) == d(expected)


def test_from_file_reads_extra_dates(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text('extra_holidays = ["2027-01-01"]\nextra_workdays = ["2027-02-20"]\n')
    calendar = WorkCalendar.from_file(path)
    assert calendar.is_workday(d("2027-01-01")) is False
    assert calendar.is_workday(d("2027-02-20")) is True


def _case(extra_holidays=()):
    engine = Engine(calendar=WorkCalendar(extra_holidays=[d(x) for x in extra_holidays]))
    return Case(engine=engine), engine


FALLBACK_RULES = [
    # rule, trigger, at, configured holidays, due_at, calendar_provisional
    pytest.param("measure_change_reply", "measure_change_requested", "2027-01-06T10:00:00+08:00",
                 [], "2027-01-12T00:00:00+08:00", True, id="2027-saturday-last-day"),
    pytest.param("measure_change_reply", "measure_change_requested", "2026-12-29T10:00:00+08:00",
                 [], "2027-01-02T00:00:00+08:00", True, id="2027-01-01-not-configured"),
    pytest.param("measure_change_reply", "measure_change_requested", "2026-12-29T10:00:00+08:00",
                 ["2027-01-01"], "2027-01-05T00:00:00+08:00", True,
                 id="2027-01-01-configured-then-weekend"),
    pytest.param("bail_limit", "bail_started", "2026-03-15T12:00:00+08:00",
                 [], "2027-03-16T00:00:00+08:00", True, id="bail-spec-example"),
    pytest.param("bail_limit", "bail_started", "2026-03-15T12:00:00+08:00",
                 ["2027-03-15"], "2027-03-17T00:00:00+08:00", True,
                 id="bail-last-day-configured-holiday"),
    pytest.param("measure_change_reply", "measure_change_requested", "2026-05-11T10:00:00+08:00",
                 [], "2026-05-15T00:00:00+08:00", False, id="covered-year-not-provisional"),
    pytest.param("det_arrest_request", "detained", "2027-01-06T10:00:00+08:00",
                 [], "2027-01-10T00:00:00+08:00", False, id="custody-2027-never-extends"),
]


@pytest.mark.parametrize("rule, trigger, at, holidays, due, provisional", FALLBACK_RULES)
def test_fallback_at_rule_level(rule, trigger, at, holidays, due, provisional):
    case, _ = _case(holidays)
    case.add(trigger, at)
    w = case.warning(rule, "2028-01-01T00:00:00+08:00")
    assert (cst(w.due_at), w.calendar_provisional) == (due, provisional)


def test_fallback_use_is_recorded_for_the_metric():
    case, engine = _case()
    case.add("measure_change_requested", "2027-01-06T10:00:00+08:00")
    case.warning("measure_change_reply", "2027-02-01T00:00:00+08:00")
    assert engine.calendar.fallback_years == {2027}
