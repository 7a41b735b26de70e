"""XM-17 deadlines in working days (工作日) on the official PRC calendar.

The rule is `contracts.workdays` (issue 18 item 6.5), the same for every service: the
operator-loaded `WorkingDayCalendarPublished` of a year first, then the `chinesecalendar`
package's copy of the State Council's notices, then Monday–Friday marked `estimated`. The
adapter hands the calendar in (`References.calendar`); without one the package alone counts.
"""

from __future__ import annotations

from datetime import date

from contracts.workdays import DueDate, WorkCalendar, package_calendar
from contracts.workdays import add_working_days as count

__all__ = ["DueDate", "WorkCalendar", "add_working_days", "claim_overdue", "is_overdue",
           "is_working_day"]


def is_working_day(day: date, calendar: WorkCalendar | None = None) -> tuple[bool, bool]:
    """(working?, estimated?) for one day."""
    return (calendar or package_calendar()).is_working_day(day)


def add_working_days(start: date, n: int, calendar: WorkCalendar | None = None) -> DueDate:
    """XM-17: the n-th working day after `start` (the start day itself does not count)."""
    return count(calendar or package_calendar(), start, n)


def is_overdue(due_on: date, done_on: date | None, as_of: date) -> bool:
    """Overdue on `as_of`: not done and the due date has passed (the due day itself is in time)."""
    return done_on is None and as_of > due_on


def claim_overdue(status: str, review_due_on: date | None, payment_due_on: date | None,
                  as_of: date) -> bool:
    """XM-17 on `as_of`: a complete claim awaits review until its review due date, a
    reviewed one payment until its payment due date; after that day it is overdue."""
    if status == "complete" and review_due_on is not None:
        return is_overdue(review_due_on, None, as_of)
    if status == "reviewed" and payment_due_on is not None:
        return is_overdue(payment_due_on, None, as_of)
    return False
