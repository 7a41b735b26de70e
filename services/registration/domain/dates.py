"""Calendar arithmetic for registrations: calendar months, validity ends, the change lock.

The dates it works on are business dates (`contracts.business_time.business_date`).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

REFERRAL_DEFAULT_DAYS = 90  # assumption: the seeds fix no referral validity
LOCK_MONTHS = 3  # SD-REG-5
VALIDITY_MONTHS = 12  # SD-REG-4


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamping the day of month (2023-11-30 + 3 → 2024-02-29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def twelve_month_validity_end(registered_on: date) -> date:
    """SD-REG-4: valid 12 months from the registration date, i.e. through the day before
    the same date next year (2024-05-10 → 2025-05-09; 2024-02-29 → 2025-02-27)."""
    return add_months(registered_on, VALIDITY_MONTHS) - timedelta(days=1)


def referral_default_end(valid_from: date) -> date:
    """Referral window when the command gives none: 90 days, both ends included."""
    return valid_from + timedelta(days=REFERRAL_DEFAULT_DAYS - 1)


def change_allowed_from(registered_on: date) -> date:
    """SD-REG-5: the first day a change or cancellation may take effect."""
    return add_months(registered_on, LOCK_MONTHS)
