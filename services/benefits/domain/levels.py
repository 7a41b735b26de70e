"""Benefit levels as data (NR-34…41, NR-64), the references they apply to, and the rounding.

Rounding, once: every amount that is a percent or an average of fen is rounded **half up to
the whole fen** by `round_fen` (0.5 fen and more up, less down); `share` is the only way a
percent of a base is taken. Multiples (months × wage) are exact and need no rounding. Where
a capped total is shared out (NR-39: the dependants' pensions together at most the wage),
`split` gives each part its proportional share rounded down and the fen left over to the
largest remainders, first listed first: the parts add up to the cap exactly.

Which levels apply (NR-40): the version in force on the day that counts (a month's first day
for a monthly amount, the injury day for the wage base, the death day for the funeral
subsidy). National, provincial and city publications for the insured region compete by
`effective_from`: the latest wins, and on the same day the more local one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.benefits import (
    AllowancePayer,
    BenefitLevelsPublished,
    CareLevel,
    CareLevelRate,
    DeathLevels,
    GradeLevel,
    MinimumWagePublished,
    MissingLevels,
    UrbanIncomePublished,
    WageBaseBounds,
)
from contracts.decision import Rejected
from contracts.reference import WageAveragePublished, in_force
from contracts.types import city_of, province_of

REGULATIONS_2010 = "工伤保险条例 (国务院令第586号, 2010年修订, 2011-01-01施行)"

_ALLOWANCES = {1: 90, 2: 85, 3: 80, 4: 75, 5: 70, 6: 60}  # NR-35 (1–4), NR-36 (5–6)
_SUBSIDY_MONTHS = {1: 27, 2: 25, 3: 23, 4: 21, 5: 18, 6: 16, 7: 13, 8: 11, 9: 9, 10: 7}


def _grade(grade: int) -> GradeLevel:
    article = "NR-35" if grade <= 4 else "NR-36" if grade <= 6 else "NR-37"
    payer = (AllowancePayer.FUND if grade <= 4 else AllowancePayer.EMPLOYER if grade <= 6
             else AllowancePayer.NONE)
    return GradeLevel(grade=grade, one_time_subsidy_months=_SUBSIDY_MONTHS[grade],
                      monthly_allowance_percent=_ALLOWANCES.get(grade, 0),
                      allowance_paid_by=payer, minimum_wage_top_up=grade <= 4, article=article)


NATIONAL_2011 = BenefitLevelsPublished(
    region=None,
    effective_from=date(2011, 1, 1),
    source=REGULATIONS_2010,
    grades=tuple(_grade(g) for g in range(1, 11)),
    care_levels=(
        CareLevelRate(care_level=CareLevel.FULL, percent_of_city_average=50, article="NR-34"),
        CareLevelRate(care_level=CareLevel.MOST, percent_of_city_average=40, article="NR-34"),
        CareLevelRate(care_level=CareLevel.PARTIAL, percent_of_city_average=30, article="NR-34"),
    ),
    death=DeathLevels(funeral_subsidy_months=6, death_subsidy_income_multiple=20,
                      spouse_percent=40, other_dependant_percent=30, alone_extra_percent=10,
                      cap_percent_of_wage=100, article="NR-39"),
    missing=MissingLevels(wage_months=3, death_subsidy_advance_percent=50, article="NR-41"),
    wage_base=WageBaseBounds(floor_percent=60, ceiling_percent=300, article="NR-64"),
)
"""The national levels of the 2010 Regulations (DOMAIN.md §4b), in force from 2011-01-01."""


def round_fen(numerator: int, denominator: int) -> int:
    """The one rounding of the benefits: numerator / denominator, half up to the whole fen."""
    if denominator <= 0 or numerator < 0:
        raise ValueError("round_fen takes a non-negative amount and a positive divisor")
    return (2 * numerator + denominator) // (2 * denominator)


def share(base_fen: int, percent: int) -> int:
    """`percent` % of `base_fen`, rounded by `round_fen`."""
    return round_fen(base_fen * percent, 100)


def split(total_fen: int, weights: list[int]) -> list[int]:
    """`total_fen` shared in proportion to `weights` (largest remainder; sums exactly)."""
    whole = sum(weights)
    if whole == 0:
        return [0 for _ in weights]
    parts = [total_fen * w // whole for w in weights]
    remainders = [total_fen * w % whole for w in weights]
    left = total_fen - sum(parts)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class References:
    """The effective-dated reference data a benefit is computed with (all versions)."""

    levels: tuple[BenefitLevelsPublished, ...] = (NATIONAL_2011,)
    city_averages: tuple[WageAveragePublished, ...] = ()
    minimum_wages: tuple[MinimumWagePublished, ...] = ()
    incomes: tuple[UrbanIncomePublished, ...] = ()

    def levels_on(self, region: str, day: date) -> BenefitLevelsPublished:
        """NR-40: the levels in force on `day` for `region` (national < province < city)."""
        rank = {None: 0, province_of(region): 1, city_of(region): 2}
        mine = sorted((v for v in self.levels if v.region in rank),
                      key=lambda v: rank[v.region])
        found = in_force(mine, day)
        if found is None:
            raise Rejected("no_benefit_levels", f"no benefit levels for {region} on {day}")
        return found

    def city_average_on(self, region: str, day: date) -> int:
        """The city's average monthly wage (of the previous year) in force on `day`."""
        found = in_force([w for w in self.city_averages if w.region == city_of(region)], day)
        if found is None:
            raise Rejected("no_city_average",
                           f"no average monthly wage for {city_of(region)} on {day}")
        return found.average_monthly_wage_fen

    def minimum_wage_on(self, region: str, day: date) -> int | None:
        """NR-35's local minimum wage on `day` (city first, then province), if published."""
        for where in (city_of(region), province_of(region)):
            found = in_force([m for m in self.minimum_wages if m.region == where], day)
            if found is not None:
                return found.monthly_minimum_wage_fen
        return None

    def urban_income(self, year: int, day: date) -> int:
        """NR-39: the national urban per-capita disposable income of `year`, as known on
        `day` (a later correction of the same year replaces it)."""
        found = in_force([i for i in self.incomes if i.year == year], day)
        if found is None:
            raise Rejected("no_urban_income",
                           f"no national urban disposable income for {year} known on {day}")
        return found.annual_income_fen
