"""report/month.py: YYYY-MM parsing and China-time month bounds."""

from datetime import datetime

import pytest

from report.month import Month, MonthError
from schemas.timefmt import CST


def test_bounds_are_china_time_and_half_open():
    m = Month.parse("2026-11")
    assert m.start == datetime(2026, 11, 1, tzinfo=CST)
    assert m.end == datetime(2026, 12, 1, tzinfo=CST)
    assert m.end_ts - m.start_ts == 30 * 86400
    assert m.start_ts == 1793462400  # 2026-10-31T16:00:00Z
    assert str(m) == "2026-11" and m.label_zh == "2026年11月"


def test_year_boundaries():
    assert Month.parse("2026-12").next() == Month(2027, 1)
    assert Month.parse("2027-01").previous() == Month(2026, 12)
    assert Month.parse("2026-03").previous() == Month(2026, 2)
    assert Month.parse("2024-02").end == datetime(2024, 3, 1, tzinfo=CST)


def test_is_over_only_after_its_last_instant():
    m = Month.parse("2026-11")
    assert not m.is_over(datetime(2026, 11, 30, 23, 59, 59, tzinfo=CST))
    assert m.is_over(datetime(2026, 12, 1, tzinfo=CST))


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01", "", "abcd-ef",
             "1969-12", "２０２６-11"]
)
def test_invalid_months_are_refused_in_both_languages(text):
    with pytest.raises(MonthError, match="月份应为 YYYY-MM 格式 / month must be YYYY-MM"):
        Month.parse(text)
