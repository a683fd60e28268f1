"""rules.periods and rules.durations: how a period runs out (rules.md, "Counting periods")."""

from datetime import date, timedelta

import pytest
from rulekit import cst, t

from rules.calendar import WorkCalendar
from rules.durations import Duration, parse_duration
from rules.obligations import lead_delta
from rules.periods import PeriodCounter, add_months


@pytest.mark.parametrize(
    "text, amount, unit",
    [("24h", 24, "hours"), ("3d", 3, "days"), ("12mo", 12, "months"), (" 2mo ", 2, "months")],
    ids=["hours", "days", "months", "spaces-trimmed"],
)
def test_parse_duration(text, amount, unit):
    assert parse_duration(text) == Duration(amount, unit)
    assert str(parse_duration(text)) == text.strip()


@pytest.mark.parametrize("text", ["3x", "0h", "-1d", "h", "3 d", "1.5h", "3m", "", "3D"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    "text, delta", [("4h", timedelta(hours=4)), ("15d", timedelta(days=15))], ids=["h", "d"]
)
def test_lead_delta(text, delta):
    assert lead_delta(parse_duration(text)) == delta


def test_lead_in_months_is_refused():
    with pytest.raises(ValueError):
        lead_delta(parse_duration("1mo"))


@pytest.mark.parametrize(
    "start, months, last",
    [
        ("2026-03-15", 12, "2027-03-15"),  # same day
        ("2026-01-31", 1, "2026-02-28"),  # last day of month → last day of target
        ("2026-01-31", 2, "2026-03-31"),
        ("2026-02-28", 1, "2026-03-31"),  # Feb 28 is the last day of Feb 2026
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-04-30", 1, "2026-05-31"),
        ("2026-01-30", 1, "2026-02-28"),  # day missing in the target month
        ("2026-01-29", 1, "2026-02-28"),
        ("2024-01-31", 1, "2024-02-29"),  # leap year
        ("2024-02-29", 12, "2025-02-28"),
        ("2026-08-31", 6, "2027-02-28"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2026-12-15", 1, "2027-01-15"),  # year boundary
        ("2026-05-11", 24, "2028-05-11"),
    ],
    ids=lambda v: str(v),
)
def test_add_months(start, months, last):
    assert add_months(date.fromisoformat(start), months) == date.fromisoformat(last)


COUNTER = [
    # start, period, holiday_extends, due_at, provisional
    ("2026-05-01T15:00:00+08:00", "24h", False, "2026-05-02T15:00:00+08:00", False),
    ("2026-05-11T02:00:00+00:00", "24h", False, "2026-05-12T10:00:00+08:00", False),
    ("2026-05-01T15:00:00+08:00", "3d", False, "2026-05-05T00:00:00+08:00", False),
    ("2026-05-01T15:00:00+08:00", "3d", True, "2026-05-07T00:00:00+08:00", False),
    ("2026-05-11T00:00:00+08:00", "3d", False, "2026-05-15T00:00:00+08:00", False),
    ("2026-05-11T23:59:59+08:00", "3d", False, "2026-05-15T00:00:00+08:00", False),
    ("2026-05-10T16:00:00+00:00", "3d", False, "2026-05-15T00:00:00+08:00", False),
    ("2026-05-10T15:59:59+00:00", "3d", False, "2026-05-14T00:00:00+08:00", False),
    ("2026-01-31T10:00:00+08:00", "1mo", True, "2026-03-01T00:00:00+08:00", False),
    ("2026-01-31T10:00:00+08:00", "2mo", False, "2026-04-01T00:00:00+08:00", False),
    ("2026-09-28T10:00:00+08:00", "3d", True, "2026-10-09T00:00:00+08:00", False),
    ("2026-09-28T10:00:00+08:00", "3d", False, "2026-10-02T00:00:00+08:00", False),
    ("2026-10-08T10:00:00+08:00", "2d", True, "2026-10-11T00:00:00+08:00", False),
    ("2026-12-25T10:00:00+08:00", "3d", True, "2026-12-29T00:00:00+08:00", False),
    ("2026-03-15T12:00:00+08:00", "12mo", True, "2027-03-16T00:00:00+08:00", True),
    ("2026-03-15T12:00:00+08:00", "12mo", False, "2027-03-16T00:00:00+08:00", False),
    ("2026-12-20T10:00:00+08:00", "1mo", True, "2027-01-21T00:00:00+08:00", True),
    ("2027-01-06T10:00:00+08:00", "3d", True, "2027-01-12T00:00:00+08:00", True),
    ("2027-01-06T10:00:00+08:00", "3d", False, "2027-01-10T00:00:00+08:00", False),
]


@pytest.mark.parametrize(
    "start, period, extends, due, provisional", COUNTER,
    ids=[f"{s[:16]}-{p}-{'hol' if e else 'nohol'}" for s, p, e, _, _ in COUNTER],
)
def test_period_counter(start, period, extends, due, provisional):
    result = PeriodCounter(WorkCalendar()).due(t(start), parse_duration(period), extends)
    assert (cst(result.at), result.provisional) == (due, provisional)
    assert result.at.utcoffset() == timedelta(hours=8) or period.endswith("h")


def test_day_periods_end_at_midnight_china_time():
    result = PeriodCounter(WorkCalendar()).due(
        t("2026-05-11T17:30:00+00:00"), parse_duration("3d"), False)
    assert result.at == t("2026-05-16T00:00:00+08:00")
    assert result.at.utcoffset() == timedelta(hours=8)
