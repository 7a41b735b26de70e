"""One-time benefits (XM-2, XM-21(1): paid once, by bank to the employer).

- One-time disability subsidy (一次性伤残补助金): months of the wage base by grade (NR-35…37),
  on the first assessment of the injury.
- Funeral subsidy (丧葬补助金): 6 months of the city average in force on the death day
  (NR-39); also on a court's declaration of death (NR-41).
- One-time death subsidy (一次性工亡补助金): 20 × the national urban per-capita disposable
  income of the year before the death (NR-39); for a missing worker 50% may be advanced
  (XM-14, NR-41) and on the declaration of death the rest is paid: the full amount on the
  year before the declaration less what was advanced, never below zero, owed from the month
  after the declaration (XM-25).
Amounts are exact multiples of their bases (levels.py: nothing to round) except the advance,
a percent (`share`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from contracts.benefits import BenefitLevelsPublished
from contracts.decision import Rejected
from contracts.settlement import Payee, PaymentChannel
from services.benefits.domain.entitlements import RETIREMENT_GRADES
from services.benefits.domain.facts import WorkerFacts
from services.benefits.domain.levels import References, share
from services.benefits.domain.months import Month
from services.benefits.domain.wage_base import wage_base


class OneTimeBenefit(StrEnum):
    DISABILITY_SUBSIDY = "one_time_disability_subsidy"
    FUNERAL_SUBSIDY = "funeral_subsidy"
    DEATH_SUBSIDY = "one_time_death_subsidy"
    DEATH_SUBSIDY_ADVANCE = "death_subsidy_advance"


@dataclass(frozen=True)
class OneTimeAmount:
    benefit: OneTimeBenefit
    amount_fen: int
    on: date  # the business date it is owed from
    rules: tuple[str, ...]
    # XM-21(1): one-time benefits go by bank transfer to the employer, who pays them on
    payee: Payee = Payee.EMPLOYER
    channel: PaymentChannel = PaymentChannel.BANK_TRANSFER


def disability_subsidy_fen(grade: int, wage_base_fen: int, levels: BenefitLevelsPublished
                           ) -> int:
    """NR-35…37: months of the wage base by grade (27, 25, … 7 nationally)."""
    return levels.grade(grade).one_time_subsidy_months * wage_base_fen


def funeral_subsidy_fen(city_average_fen: int, levels: BenefitLevelsPublished) -> int:
    """NR-39: 6 months of the city average wage."""
    return levels.death.funeral_subsidy_months * city_average_fen


def death_subsidy_fen(annual_urban_income_fen: int, levels: BenefitLevelsPublished) -> int:
    """NR-39: 20 × the previous year's national urban per-capita disposable income."""
    return levels.death.death_subsidy_income_multiple * annual_urban_income_fen


def death_subsidy_advance_fen(death_subsidy: int, levels: BenefitLevelsPublished) -> int:
    """XM-14 / NR-41: the part of the death subsidy that may be advanced (50%)."""
    return share(death_subsidy, levels.missing.death_subsidy_advance_percent)


def rest_after_advance_fen(death_subsidy: int, advanced_fen: int) -> int:
    """XM-25: on the declaration of death, the full subsidy less what was advanced."""
    return max(death_subsidy - advanced_fen, 0)


def disability_subsidy(facts: WorkerFacts, refs: References) -> OneTimeAmount | None:
    """NR-35…37 on the first assessment (a later re-assessment pays no second subsidy)."""
    if facts.injury is None or not facts.assessments:
        return None
    first = facts.assessments[0]
    injury = facts.injury
    levels = refs.levels_on(injury.insured_region, first.assessed_on)
    base = wage_base(facts.wages, injury.insured_region, injury.injured_on, refs)
    return OneTimeAmount(OneTimeBenefit.DISABILITY_SUBSIDY,
                         disability_subsidy_fen(first.grade, base, levels), first.assessed_on,
                         (levels.grade(first.grade).article,))


def death_benefits(facts: WorkerFacts, refs: References, advanced_fen: int = 0
                   ) -> tuple[OneTimeAmount, ...]:
    """NR-39 on a death at work: funeral and death subsidies; a grade 1–4 worker's other
    death: the funeral subsidy only (NR-39 ¶3); a court's declaration of death (NR-41,
    XM-25): both, the death subsidy less `advanced_fen`."""
    injury = facts.injury
    if injury is None:
        return ()
    region = injury.insured_region
    if facts.died is not None:
        day, work_related = facts.died.died_on, facts.died.work_related
        at_death = [a for a in facts.assessments if a.assessed_on <= day]
        if not work_related and not (at_death and at_death[-1].grade in RETIREMENT_GRADES):
            return ()
        rules: tuple[str, ...] = ("NR-39",)
        owed_from = day
    elif facts.declared is not None:
        day, work_related, rules = facts.declared.declared_on, True, ("NR-41", "XM-25")
        owed_from = (Month.of(day) + 1).first_day  # XM-25: from the month after
    else:
        return ()
    levels = refs.levels_on(region, day)
    out = [OneTimeAmount(OneTimeBenefit.FUNERAL_SUBSIDY,
                         funeral_subsidy_fen(refs.city_average_on(region, day), levels),
                         owed_from, rules)]
    if work_related:
        full = death_subsidy_fen(refs.urban_income(day.year - 1, day), levels)
        owed = rest_after_advance_fen(full, advanced_fen) if facts.declared else full
        out.append(OneTimeAmount(OneTimeBenefit.DEATH_SUBSIDY, owed, owed_from, rules))
    return tuple(out)


def missing_advance(facts: WorkerFacts, refs: References, on: date) -> OneTimeAmount:
    """XM-14 / NR-41: 50% of the death subsidy, advanced to a missing worker's family in
    difficulty, on the income of the year before `on` (the day it is granted)."""
    if facts.injury is None or facts.missing is None:
        raise Rejected("not_missing", "an advance of the death subsidy needs a missing worker")
    if facts.declared is not None or facts.died is not None:
        raise Rejected("not_missing", "the worker is declared dead: the rest is paid instead")
    levels = refs.levels_on(facts.injury.insured_region, on)
    full = death_subsidy_fen(refs.urban_income(on.year - 1, on), levels)
    return OneTimeAmount(OneTimeBenefit.DEATH_SUBSIDY_ADVANCE,
                         death_subsidy_advance_fen(full, levels), on, ("XM-14", "NR-41"))
