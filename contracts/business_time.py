"""Business time: instants are read in Beijing time (UTC+8 all year, no daylight saving).

Rules decide on the calendar day in China of a message's own business time, never on the
wall clock: a clerk acting at 07:00 on 1 May in Jinan acts on 1 May although it is still
30 April in UTC. Every service, the operator's tools and the benchmarks take the time zone
and the business date from here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))
"""Beijing time, UTC+08:00 (instants written in it serialize as `+08:00`)."""


def business_date(moment: datetime) -> date:
    """The calendar day of `moment` in China: 2024-03-31T16:30Z is 2024-04-01 (00:30 +08:00)."""
    return moment.astimezone(CHINA).date()
