"""Builders for benefit facts: one worker injured in Jinan, with the national levels.

Worked numbers used across the tests (all fen): Jinan's average monthly wage 8,000.00 yuan
(800_000) in force from 2023-07-01; the worker's contribution wage 6,000.00 yuan (600_000) in
each of the 12 months up to the injury month, so the wage base is 600_000 (within NR-64's
480_000 … 2_400_000).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import benefits as b
from contracts.reference import WageAveragePublished
from services.benefits.domain.facts import WorkerFacts, fold
from services.benefits.domain.levels import NATIONAL_2011, References
from services.benefits.domain.months import Month
from services.benefits.domain.workdays import WorkCalendar

WORKER = "11010519491231002X"
INJURY = "INJ-1"
JINAN = "370100"
INJURED_ON = date(2024, 3, 15)
CITY_AVERAGE = 800_000
WAGE = 600_000


def city_average(fen: int = CITY_AVERAGE, since: date = date(2023, 7, 1),
                 year: int = 2022) -> WageAveragePublished:
    return WageAveragePublished(region=JINAN, year=year, average_monthly_wage_fen=fen,
                                effective_from=since, source="test")


def refs(**kw: Any) -> References:
    base: dict[str, Any] = {"levels": (NATIONAL_2011,), "city_averages": (city_average(),)}
    return References(**{**base, **kw})


def wage(month: Month, fen: int = WAGE, region: str = JINAN,
         recorded_on: date | None = None) -> b.ContributionWageRecorded:
    return b.ContributionWageRecorded(worker_id=WORKER, injury_id=INJURY, insured_region=region,
                                      year=month.year, month=month.month, wage_fen=fen,
                                      recorded_on=recorded_on or month.last_day)


def wages_up_to(injured_on: date, fen: int = WAGE, months: int = 12
                ) -> list[b.ContributionWageRecorded]:
    last = Month.of(injured_on)
    return [wage(last - i, fen) for i in range(months)]


def injury(injured_on: date = INJURED_ON) -> b.InjuryRecognised:
    return b.InjuryRecognised(worker_id=WORKER, injury_id=INJURY, insured_region=JINAN,
                              injured_on=injured_on, recognised_on=injured_on)


def assessed(on: date, grade: int, care: b.CareLevel = b.CareLevel.NONE, *,
             injured_on: date = INJURED_ON, reassessment: bool = False,
             assessment_id: str = "A1") -> b.LabourCapacityAssessed:
    return b.LabourCapacityAssessed(worker_id=WORKER, injury_id=INJURY,
                                    assessment_id=assessment_id, injured_on=injured_on,
                                    assessed_on=on, grade=grade, care_level=care,
                                    reassessment=reassessment)


def died(on: date, work_related: bool = True) -> b.WorkerDied:
    return b.WorkerDied(worker_id=WORKER, injury_id=INJURY, died_on=on, work_related=work_related)


def missing(accident_on: date | None, found_on: date) -> b.WorkerWentMissing:
    return b.WorkerWentMissing(worker_id=WORKER, injury_id=INJURY, accident_on=accident_on,
                               found_missing_on=found_on)


def declared(missing_since: date, on: date) -> b.DeathDeclared:
    return b.DeathDeclared(worker_id=WORKER, injury_id=INJURY, missing_since=missing_since,
                           declared_on=on)


def imprisoned(on: date, dependant_id: str | None = None) -> b.ImprisonmentBegan:
    return b.ImprisonmentBegan(worker_id=WORKER, injury_id=INJURY, dependant_id=dependant_id,
                               imprisoned_on=on)


def released(imprisoned_on: date, on: date, dependant_id: str | None = None
             ) -> b.ReleasedFromPrison:
    return b.ReleasedFromPrison(worker_id=WORKER, injury_id=INJURY, dependant_id=dependant_id,
                                imprisoned_on=imprisoned_on, released_on=on)


def retired(on: date, pension_fen: int) -> b.RetirementApproved:
    return b.RetirementApproved(worker_id=WORKER, injury_id=INJURY, approved_on=on,
                                monthly_pension_fen=pension_fen)


def dependant(dependant_id: str, relation: b.Relation, born_on: date, *,
              registered_on: date = date(2024, 6, 30), **kw: Any) -> b.DependantRegistered:
    return b.DependantRegistered(worker_id=WORKER, injury_id=INJURY, dependant_id=dependant_id,
                                 relation=relation, born_on=born_on,
                                 registered_on=registered_on, **kw)


def dependant_died(dependant_id: str, on: date) -> b.DependantDied:
    return b.DependantDied(worker_id=WORKER, injury_id=INJURY, dependant_id=dependant_id,
                           died_on=on)


def facts(*events: Any, injured_on: date = INJURED_ON, wage_fen: int = WAGE) -> WorkerFacts:
    """Twelve months of wages, the injury, then `events` in order."""
    return fold(WORKER, [*wages_up_to(injured_on, wage_fen), injury(injured_on), *events])


EMPLOYER = "EMP-1"
INCOME_2023 = 5_182_100  # national urban per-capita disposable income 2023 (51,821 yuan)


def official_calendar() -> WorkCalendar:
    """XM-17's official PRC calendar as data, filled the way an adapter would fill it
    (the chinesecalendar package's years, contracts.workdays)."""
    from contracts.workdays import package_calendar

    return package_calendar()


def income(year: int = 2023, fen: int = INCOME_2023,
           since: date = date(2024, 1, 17)) -> b.UrbanIncomePublished:
    return b.UrbanIncomePublished(year=year, annual_income_fen=fen, effective_from=since)
