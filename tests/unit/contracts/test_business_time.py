"""Business time, in one place: Beijing time and the business date every rule decides on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from contracts.business_time import CHINA, business_date


def test_business_date_is_the_calendar_day_in_china() -> None:
    # 07:00 on 1 May in Jinan is still 30 April in UTC
    assert business_date(datetime(2024, 4, 30, 23, 0, tzinfo=UTC)) == date(2024, 5, 1)
    assert business_date(datetime(2024, 4, 30, 15, 59, 59, tzinfo=UTC)) == date(2024, 4, 30)
    assert business_date(datetime(2024, 5, 1, 0, 30, tzinfo=CHINA)) == date(2024, 5, 1)


def test_china_is_utc_plus_eight_all_year_and_serializes_as_such() -> None:
    for month in (1, 7):
        assert datetime(2024, month, 1, tzinfo=CHINA).utcoffset() == timedelta(hours=8)
    assert datetime(2024, 5, 1, 9, tzinfo=CHINA).isoformat() == "2024-05-01T09:00:00+08:00"
