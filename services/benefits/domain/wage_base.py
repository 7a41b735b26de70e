"""The worker's own wage (本人工资) every wage-based benefit is computed from.

XM-27: the average monthly contribution wage over the 12 months up to and including the
injury month, on which contributions were actually paid in the insured city; fewer such
months -> the average over those actually paid. NR-64: the result counts at least 60% and
at most 300% of the city average wage in force on the injury day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from contracts.benefits import ContributionWageRecorded, WageBaseBounds
from contracts.decision import Rejected
from contracts.types import city_of
from services.benefits.domain.levels import References, round_fen, share
from services.benefits.domain.months import Month, months_from


def paid_months(wages: Iterable[ContributionWageRecorded], city: str) -> dict[Month, int]:
    """Month -> contribution wage actually paid in `city`; a later record of the same month
    replaces an earlier one (a correction), a zero wage is no payment."""
    out: dict[Month, int] = {}
    for w in sorted(wages, key=lambda w: w.recorded_on):
        if city_of(w.insured_region) == city_of(city):
            out[Month(w.year, w.month)] = w.wage_fen
    return {m: fen for m, fen in out.items() if fen > 0}


def average_contribution_wage(paid: dict[Month, int], injury_month: Month) -> int:
    """XM-27: average over the paid months among the 12 ending with the injury month."""
    window = [paid[m] for m in months_from(injury_month - 11, injury_month) if m in paid]
    if not window:
        raise Rejected("no_contribution_wage",
                       f"no contribution paid in the 12 months up to {injury_month} (XM-27)")
    return round_fen(sum(window), len(window))


def bounded(average_fen: int, city_average_fen: int, bounds: WageBaseBounds) -> int:
    """NR-64: at least floor% and at most ceiling% of the city average."""
    floor = share(city_average_fen, bounds.floor_percent)
    ceiling = share(city_average_fen, bounds.ceiling_percent)
    return min(max(average_fen, floor), ceiling)


def wage_base(wages: Iterable[ContributionWageRecorded], region: str, injured_on: date,
              refs: References) -> int:
    """XM-27 then NR-64, with the bounds and the city average in force on the injury day."""
    average = average_contribution_wage(paid_months(wages, region), Month.of(injured_on))
    bounds = refs.levels_on(region, injured_on).wage_base
    return bounded(average, refs.city_average_on(region, injured_on), bounds)
