"""XM-17 deadlines in working days (工作日) on the official PRC calendar.

`chinese_calendar` (package chinesecalendar) holds the State Council's holiday notices,
including shifted working weekends (调休). It covers a fixed range of years (2004–2026 in
1.11.0) and raises `NotImplementedError` outside it: there we fall back to Monday–Friday
and mark the result `estimated`, so the due date is visibly provisional until the package
(and the next year's notice) is updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


@dataclass(frozen=True)
class DueDate:
    on: date
    estimated: bool  # True if any day counted was outside the official calendar's coverage


def is_working_day(day: date) -> tuple[bool, bool]:
    """(working?, estimated?) for one day."""
    try:
        return bool(chinese_calendar.is_workday(day)), False
    except NotImplementedError:
        return day.weekday() < 5, True


# Pure in its two arguments, and every settlement asks for the same few (decision day, 20 or
# 30): the calendar look-ups were half of adjudicating a discharge before this cache.
@lru_cache(maxsize=4096)
def add_working_days(start: date, n: int) -> DueDate:
    """XM-17: the n-th working day after `start` (the start day itself does not count)."""
    if n < 0:
        raise ValueError("working days must be >= 0")
    day, counted, estimated = start, 0, False
    while counted < n:
        day += timedelta(days=1)
        working, est = is_working_day(day)
        estimated = estimated or est
        if working:
            counted += 1
    return DueDate(day, estimated)


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
