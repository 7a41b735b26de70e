"""Calendar months, the unit every periodic benefit is counted in (XM-22…26).

A fact's month is the calendar month of its business date (its day does not matter: the
1st and the 31st of a month start and stop the same benefits). "The month after" is
`month + 1`; "the 4th month after the accident" counts the accident month as the first
(NR-41: wages for the accident month and the next two), so it is `accident month + 3`.
docs/assumptions.md "Benefits" says so too.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not 1–12")

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def index(self) -> int:
        """Months since year 0: differences of two indexes count months."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def __add__(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    def __sub__(self, months: int) -> Month:
        return Month.from_index(self.index - months)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_from(start: Month, through: Month) -> list[Month]:
    """`start` … `through` inclusive (empty if `through` is before `start`)."""
    return [Month.from_index(i) for i in range(start.index, through.index + 1)]
