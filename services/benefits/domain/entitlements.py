"""Monthly entitlements (XM-22…26, NR-34, NR-35, NR-39, NR-41): who is owed what in a month.

`monthly_entitlements(facts, refs, month)` is a pure function of the facts known and the
reference data: the same inputs give the same amounts for any month, before or after it, so
the payment run (payment_run.py) pays `entitlement(month)` and a later fact changes only the
months the rules let it change. Months are calendar months (months.py); a fact's day within
its month never matters.

- Worker: the disability allowance (NR-35, grades 1–4, fund; topped up to the local minimum
  wage) and the living-care fee (NR-34) from the month after the assessment; a
  re-assessment's grade and care level from the month after it (XM-23(4)).
- Grades 1–4 retired (XM-24): from the month after approval no allowance, but the fund pays
  the allowance's excess over the pension; the care fee goes on.
- Dependants' pension (NR-39): from the month after the worker's death, or from the 4th month
  of a missing worker (NR-41, XM-25); a posthumous child from the month after birth
  (XM-23(1)); a child, grandchild or sibling up to the month of turning 18 (XM-23(2)).
- Anyone's benefits end with the month of their death (XM-23(3)) and are suspended from the
  month after imprisonment through the month of release (XM-23(5)): zero, never paid later.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.benefits import (
    AllowancePayer,
    CareLevel,
    DependantRegistered,
    LabourCapacityAssessed,
    PeriodicBenefit,
    Relation,
)
from services.benefits.domain.facts import Dependant, Imprisonment, WorkerFacts
from services.benefits.domain.levels import References, share, split
from services.benefits.domain.months import Month
from services.benefits.domain.wage_base import wage_base

MINORS = frozenset({Relation.CHILD, Relation.GRANDCHILD, Relation.SIBLING})  # XM-23(2)
RETIREMENT_GRADES = range(1, 5)  # XM-24: grades 1–4


Benefit = PeriodicBenefit
"""The periodic benefits (contracts.benefits.PeriodicBenefit: a payment names one)."""


@dataclass(frozen=True)
class Entitlement:
    """One person's amount of one benefit for one month; XM-21(3): paid by the bank into
    that person's own account (the worker's, or the dependant's)."""

    person_id: str  # the worker's resident id, or a dependant's id
    benefit: Benefit
    month: Month
    amount_fen: int
    rules: tuple[str, ...]


def suspended(terms: tuple[Imprisonment, ...], month: Month) -> bool:
    """XM-23(5): from the month after imprisonment through the month of release (resumed
    the month after it); a suspended month is never paid later."""
    return any(Month.of(t.imprisoned_on) + 1 <= month
               and (t.released_on is None or month <= Month.of(t.released_on)) for t in terms)


def assessment_in_force(assessments: tuple[LabourCapacityAssessed, ...], month: Month
                        ) -> LabourCapacityAssessed | None:
    """XM-23(4): the latest assessment concluded before `month` (in force the month after)."""
    found = [a for a in assessments if Month.of(a.assessed_on) + 1 <= month]
    return found[-1] if found else None


def dependants_from(facts: WorkerFacts, refs: References) -> Month | None:
    """The first month of the dependants' pension: the month after a death that entitles
    them (NR-39: at work, or a grade 1–4 worker's death), or the 4th month of a missing
    worker counting the accident month (or, unknown, the month found missing) as the 1st
    (NR-41, XM-25)."""
    if facts.injury is None:
        return None
    starts = []
    if facts.died is not None:
        died = facts.died.died_on
        at_death = [a for a in facts.assessments if a.assessed_on <= died]
        grade_1_4 = bool(at_death) and at_death[-1].grade in RETIREMENT_GRADES
        if facts.died.work_related or grade_1_4:
            starts.append(Month.of(died) + 1)
    if facts.missing is not None:
        gone = facts.missing.accident_on or facts.missing.found_missing_on
        months = refs.levels_on(facts.injury.insured_region, gone).missing.wage_months
        starts.append(Month.of(gone) + months)
    return min(starts, default=None)


def worker_last_month(facts: WorkerFacts, refs: References) -> Month | None:
    """The worker's own benefits end with the month of death (XM-23(3)), or the month
    before the dependants of a missing worker are paid (NR-41)."""
    ends = []
    if facts.died is not None:
        ends.append(Month.of(facts.died.died_on))
    if facts.missing is not None:
        start = dependants_from(facts, refs)
        if start is not None:
            ends.append(start - 1)
    return min(ends, default=None)


def dependant_window(dependant: Dependant, start: Month) -> tuple[Month, Month | None]:
    """(first, last or None) month of one dependant's pension (XM-23(1)–(3))."""
    reg: DependantRegistered = dependant.registered
    first = max(start, Month.of(reg.born_on) + 1) if reg.posthumous else start
    ends = []
    if reg.relation in MINORS and not reg.unable_to_work:
        ends.append(Month(reg.born_on.year + 18, reg.born_on.month))  # the month turning 18
    if dependant.died_on is not None:
        ends.append(Month.of(dependant.died_on))
    return first, min(ends, default=None)


def _worker(facts: WorkerFacts, refs: References, month: Month) -> list[Entitlement]:
    injury = facts.injury
    assessment = assessment_in_force(facts.assessments, month)
    last = worker_last_month(facts, refs)
    if (injury is None or assessment is None or (last is not None and month > last)
            or suspended(facts.imprisonments, month)):
        return []
    region, day = injury.insured_region, month.first_day
    levels = refs.levels_on(region, day)
    out = []
    grade = levels.grade(assessment.grade)
    if grade.allowance_paid_by is AllowancePayer.FUND and grade.monthly_allowance_percent:
        base = wage_base(facts.wages, region, injury.injured_on, refs)
        allowance = share(base, grade.monthly_allowance_percent)
        minimum = refs.minimum_wage_on(region, day) if grade.minimum_wage_top_up else None
        allowance = max(allowance, minimum or 0)
        retired = facts.retirement
        if (retired is not None and assessment.grade in RETIREMENT_GRADES
                and month >= Month.of(retired.approved_on) + 1):
            top_up = allowance - retired.monthly_pension_fen
            if top_up > 0:
                out.append(Entitlement(facts.worker_id, Benefit.RETIREMENT_TOP_UP, month,
                                       top_up, ("XM-24", grade.article)))
        else:
            out.append(Entitlement(facts.worker_id, Benefit.DISABILITY_ALLOWANCE, month,
                                   allowance, (grade.article, "XM-23(4)")))
    care = levels.care(assessment.care_level)
    if assessment.care_level is not CareLevel.NONE and care is not None:
        fee = share(refs.city_average_on(region, day), care.percent_of_city_average)
        out.append(Entitlement(facts.worker_id, Benefit.LIVING_CARE_FEE, month, fee,
                               (care.article, "XM-23(4)")))
    return out


def _dependants(facts: WorkerFacts, refs: References, month: Month) -> list[Entitlement]:
    injury, start = facts.injury, dependants_from(facts, refs)
    if injury is None or start is None:
        return []
    paid = []
    for d in facts.dependants:
        first, last = dependant_window(d, start)
        if first <= month and (last is None or month <= last) \
                and not suspended(d.imprisonments, month):
            paid.append(d)
    if not paid:
        return []
    death = refs.levels_on(injury.insured_region, month.first_day).death
    base = wage_base(facts.wages, injury.insured_region, injury.injured_on, refs)
    percents = [(death.spouse_percent if d.registered.relation is Relation.SPOUSE
                 else death.other_dependant_percent)
                + (death.alone_extra_percent if d.registered.alone else 0) for d in paid]
    amounts = [share(base, p) for p in percents]
    cap = share(base, death.cap_percent_of_wage)
    rules = ("NR-39", "NR-41") if facts.missing is not None else ("NR-39",)
    if sum(amounts) > cap:  # NR-39: together at most the worker's wage, shared in proportion
        amounts = split(cap, amounts)
    return [Entitlement(d.dependant_id, Benefit.DEPENDANT_PENSION, month, fen, rules)
            for d, fen in zip(paid, amounts, strict=True) if fen > 0]


def monthly_entitlements(facts: WorkerFacts, refs: References, month: Month
                         ) -> tuple[Entitlement, ...]:
    """Every periodic amount the fund owes for `month` (none: an empty tuple; nothing is
    owed before the injury month)."""
    if facts.injury is None or month < Month.of(facts.injury.injured_on):
        return ()
    return (*_worker(facts, refs, month), *_dependants(facts, refs, month))


def amount(facts: WorkerFacts, refs: References, month: Month, person_id: str,
           benefit: Benefit) -> int:
    """One person's amount of one benefit in `month` (0 if none)."""
    return sum(e.amount_fen for e in monthly_entitlements(facts, refs, month)
               if e.person_id == person_id and e.benefit is benefit)
