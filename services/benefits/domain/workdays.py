"""XM-17 deadlines in working days (工作日) on a calendar given as data.

The official PRC calendar (holidays and the shifted working weekends, 调休) is reference data
here, not a package: the domain stays pure (standard library and `contracts`), and whoever
wires it fills a `WorkCalendar` from the State Council's notices (settlement reads the same
notices from the `chinesecalendar` package). Outside the years the calendar covers a day
counts Monday–Friday and the due date is marked `estimated`, as in settlement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

REVIEW_WORKING_DAYS = 15  # XM-17: benefits reviewed within 15 working days of completeness
PAYMENT_WORKING_DAYS = 10  # XM-17: finance pays within 10 working days of the review


@dataclass(frozen=True)
class WorkCalendar:
    days_off: frozenset[date] = frozenset()  # official holidays (放假)
    working_weekends: frozenset[date] = frozenset()  # weekend days worked instead (调休上班)
    first_year: int = 0  # the years the notices cover, inclusive; none by default
    last_year: int = -1

    def is_working_day(self, day: date) -> tuple[bool, bool]:
        """(working?, estimated?) for one day."""
        if not self.first_year <= day.year <= self.last_year:
            return day.weekday() < 5, True
        if day in self.working_weekends:
            return True, False
        return day.weekday() < 5 and day not in self.days_off, False


MONDAY_TO_FRIDAY = WorkCalendar()
"""No notices: every due date is estimated Monday–Friday."""


@dataclass(frozen=True)
class DueDate:
    on: date
    estimated: bool  # True if any day counted was outside the calendar's years


def add_working_days(calendar: WorkCalendar, start: date, n: int) -> DueDate:
    """XM-17: the n-th working day after `start` (the start day itself does not count)."""
    if n < 0:
        raise ValueError("working days must be >= 0")
    day, counted, estimated = start, 0, False
    while counted < n:
        day += timedelta(days=1)
        working, est = calendar.is_working_day(day)
        estimated = estimated or est
        counted += working
    return DueDate(day, estimated)
