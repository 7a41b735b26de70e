"""XM-17 deadlines in working days (工作日) on a calendar given as data.

The rule is `contracts.workdays` (issue 18 item 6.5), shared with settlement: the
operator-loaded `WorkingDayCalendarPublished` of a year first, then the `chinesecalendar`
package's notices (filled in by the adapter), then Monday–Friday marked `estimated`.
"""

from __future__ import annotations

from contracts.workdays import MONDAY_TO_FRIDAY, DueDate, WorkCalendar, add_working_days

__all__ = ["MONDAY_TO_FRIDAY", "PAYMENT_WORKING_DAYS", "REVIEW_WORKING_DAYS", "DueDate",
           "WorkCalendar", "add_working_days"]

REVIEW_WORKING_DAYS = 15  # XM-17: benefits reviewed within 15 working days of completeness
PAYMENT_WORKING_DAYS = 10  # XM-17: finance pays within 10 working days of the review
