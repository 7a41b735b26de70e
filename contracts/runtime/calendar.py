"""The working-day calendar an adapter hands its domain (XM-17, issue 18 item 6.5): the
`chinesecalendar` package's years plus every `WorkingDayCalendarPublished` read from
`reference-data` (contracts.workdays has the rule). Settlement and benefits keep one each.

A year that neither covers is said out loud: a warning names it once, for this year and the
next (the wall clock only picks which years to warn about; decisions never read it), and
every due date counted into it is marked `estimated`.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from contracts.reference import WorkingDayCalendarPublished
from contracts.workdays import WorkCalendar, package_calendar

log = logging.getLogger(__name__)


class CalendarKeeper:
    def __init__(self) -> None:
        self._versions: dict[tuple[int, date], WorkingDayCalendarPublished] = {}
        self._calendar = package_calendar()
        self._warned: set[int] = set()

    def apply(self, msg: WorkingDayCalendarPublished) -> None:
        """A republished version with the same year and effective date replaces the earlier."""
        self._versions[(msg.year, msg.effective_from)] = msg
        self._calendar = package_calendar().with_published(
            self._versions[k] for k in sorted(self._versions))

    @property
    def calendar(self) -> WorkCalendar:
        return self._calendar

    def warn_uncovered(self, today: date | None = None) -> list[int]:
        """Warn (once per year) about this year and the next if no calendar covers them."""
        year = (today or datetime.now(UTC).date()).year
        missing = [y for y in self._calendar.uncovered((year, year + 1))
                   if y not in self._warned]
        for y in missing:
            log.warning("XM-17: no working-day calendar for %d (neither reference data nor "
                        "the chinesecalendar package): due dates in %d count Monday-Friday "
                        "and are marked estimated; load the State Council's notice as "
                        "WorkingDayCalendarPublished (`wic reference load`)", y, y)
        self._warned.update(missing)
        return missing
