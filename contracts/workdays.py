"""XM-17 working days (工作日): one rule for every service that counts them (issue 18 item 6.5).

Which days are worked follows the State Council's yearly holiday notice (国务院办公厅关于
部分节假日安排的通知): its holidays (放假) and the weekend days worked instead (调休上班). A
year's calendar comes, in this order of precedence, from

1. the operator-loaded reference data `WorkingDayCalendarPublished` for that year — the
   version in force (latest `effective_from` on or before) on the business date the count
   starts from, so a replay counts exactly as the live decision did;
2. the `chinesecalendar` package's copy of the notices (2004–2026 in 1.11.0);
3. neither: Monday–Friday, and the result is marked `estimated` (the adapters log a warning
   naming the year), so a due date is visibly provisional until the notice is loaded.

Pure: the adapters build a `WorkCalendar` from the package (`package_years`) and the
reference-data topic; the domains only count on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from contracts.reference import WorkingDayCalendarPublished, in_force

PACKAGE = "chinesecalendar"


@dataclass(frozen=True)
class YearCalendar:
    """One year's notice: days off and weekend days worked, from where, in force from when."""

    year: int
    days_off: frozenset[date]
    working_weekends: frozenset[date]
    source: str = PACKAGE
    effective_from: date = date.min  # the package's copy: always in force

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.days_off


def published_year(msg: WorkingDayCalendarPublished) -> YearCalendar:
    return YearCalendar(year=msg.year, days_off=frozenset(msg.days_off),
                        working_weekends=frozenset(msg.working_weekends),
                        source=msg.source or "reference-data", effective_from=msg.effective_from)


@dataclass(frozen=True)
class WorkCalendar:
    """The package's years and every operator-published version (all years, all dates)."""

    package: tuple[YearCalendar, ...] = ()
    published: tuple[YearCalendar, ...] = ()
    _by_year: dict[int, YearCalendar] = field(default_factory=dict, init=False, compare=False,
                                              hash=False, repr=False)

    def __post_init__(self) -> None:
        self._by_year.update({y.year: y for y in self.package})

    def with_published(self, versions: Iterable[WorkingDayCalendarPublished]) -> WorkCalendar:
        return WorkCalendar(self.package, tuple(published_year(v) for v in versions))

    def year(self, year: int, as_of: date = date.max) -> YearCalendar | None:
        """The calendar of `year` in force on `as_of`: operator data first, then the
        package; None when neither covers it."""
        versions = [v for v in self.published if v.year == year]
        return in_force(versions, as_of) or self._by_year.get(year)

    def is_working_day(self, day: date, as_of: date = date.max) -> tuple[bool, bool]:
        """(working?, estimated?) for one day, as known on `as_of`."""
        cal = self.year(day.year, as_of)
        if cal is None:
            return day.weekday() < 5, True
        return cal.is_working_day(day), False

    def uncovered(self, years: Iterable[int], as_of: date = date.max) -> list[int]:
        """The years among `years` neither the operator's data nor the package covers."""
        return sorted({y for y in years if self.year(y, as_of) is None})


MONDAY_TO_FRIDAY = WorkCalendar()
"""No notices: every due date is estimated Monday–Friday."""


@dataclass(frozen=True)
class DueDate:
    on: date
    estimated: bool  # True if any day counted was in a year no calendar covers


def add_working_days(calendar: WorkCalendar, start: date, n: int) -> DueDate:
    """XM-17: the n-th working day after `start` (the start day itself does not count),
    on the calendars in force on `start`."""
    if n < 0:
        raise ValueError("working days must be >= 0")
    return _count(calendar, start, n)


# Pure in its arguments, and every settlement asks for the same few (decision day, 5, 15
# or 10): the calendar look-ups were half of adjudicating a discharge before a cache.
@lru_cache(maxsize=4096)
def _count(calendar: WorkCalendar, start: date, n: int) -> DueDate:
    day, counted, estimated = start, 0, False
    while counted < n:
        day += timedelta(days=1)
        working, est = calendar.is_working_day(day, as_of=start)
        estimated = estimated or est
        counted += working
    return DueDate(day, estimated)


def package_years() -> tuple[YearCalendar, ...]:
    """The notices the `chinesecalendar` package holds, as data (imported here only, so
    the domains that count on a `WorkCalendar` never import it)."""
    import chinese_calendar

    off: dict[int, set[date]] = defaultdict(set)
    worked: dict[int, set[date]] = defaultdict(set)
    for day in chinese_calendar.holidays:
        off[day.year].add(day)
    for day in chinese_calendar.workdays:
        worked[day.year].add(day)
    return tuple(YearCalendar(y, frozenset(off[y]), frozenset(worked[y]))
                 for y in sorted(off.keys() | worked.keys()))


@lru_cache(maxsize=1)
def package_calendar() -> WorkCalendar:
    """The package's years alone (no operator data yet)."""
    return WorkCalendar(package_years())
