"""What settlement decides with beside a worker's state: the catalogs (SD-ENC-6) and the
working-day calendar of XM-17 (contracts.workdays: the operator's years over the package's)."""

from __future__ import annotations

from dataclasses import dataclass

from services.settlement.domain.adjudication import Catalogs
from services.settlement.domain.workdays import WorkCalendar


@dataclass(frozen=True)
class References:
    """What settlement decides with beside the state: the catalogs, and the working-day
    calendar of XM-17 (contracts.workdays: the operator's years over the package's)."""

    catalogs: Catalogs
    calendar: WorkCalendar | None = None  # None: the chinesecalendar package alone


def references(context: Catalogs | References) -> References:
    """A bare catalog mapping (as the tests give) counts on the package's calendar."""
    return context if isinstance(context, References) else References(context)
