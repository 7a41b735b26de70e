"""Business dates: the calendar day in China (UTC+8) of an event's own timestamp."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def business_day(moment: datetime) -> date:
    """The date a hospital in China means: 2024-03-31T16:30Z is 2024-04-01 (00:30 +08:00)."""
    return moment.astimezone(CHINA).date()
