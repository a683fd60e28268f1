"""web.retention: which monthly partitions of access_log are past the retention."""

from datetime import date

from web.retention import drop_statements, expired_partitions


def test_a_month_goes_once_all_its_days_are_past():
    parts = ["202501", "202505", "202506", "202507", "bogus", "202513", "tuple()"]
    assert expired_partitions(parts, date(2025, 12, 31), 183) == ["202501", "202505",
                                                                 "202506"]
    assert expired_partitions(parts, date(2025, 12, 30), 183) == ["202501", "202505"]


def test_drop_statements_check_their_names():
    assert drop_statements("cw", ["202501"]) == [
        "ALTER TABLE cw.access_log DROP PARTITION 202501"]
    assert drop_statements("cw", ["202501"], "c1") == [
        "ALTER TABLE cw.access_log ON CLUSTER c1 DROP PARTITION 202501"]
