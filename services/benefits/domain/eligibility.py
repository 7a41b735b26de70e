"""Is a one-time benefit (or a dependant's pension) due on the facts? And how much?

`check_due` refuses `benefit_not_due` (or `injury_not_recognised` / `other_injury`) with
what the facts lack; `one_time_amount` prices a due one-time benefit with one_time.py.
"""

from __future__ import annotations

from datetime import date

from contracts.benefits import BenefitClaimKind
from contracts.decision import Rejected
from services.benefits.domain.entitlements import (
    RETIREMENT_GRADES,
    dependant_window,
    dependants_from,
)
from services.benefits.domain.facts import WorkerFacts
from services.benefits.domain.levels import References
from services.benefits.domain.one_time import (
    OneTimeAmount,
    OneTimeBenefit,
    death_benefits,
    disability_subsidy,
    missing_advance,
)

K = BenefitClaimKind
SUBSIDY_GRADES = range(5, 11)  # NR-36/37: grades 5–10 get the medical and employment subsidies


def _grade_at_death(facts: WorkerFacts) -> int | None:
    if facts.died is None:
        return None
    known = [a for a in facts.assessments if a.assessed_on <= facts.died.died_on]
    return known[-1].grade if known else None


def _why_not(kind: K, facts: WorkerFacts, refs: References, dependant_id: str | None
             ) -> str | None:
    """None if the facts give `kind`, else what they lack."""
    died, declared = facts.died, facts.declared is not None
    if kind is K.DISABILITY_SUBSIDY:
        return None if facts.assessments else "no labour-capacity assessment (NR-35…37)"
    if kind is K.FUNERAL_SUBSIDY:
        at_work = died is not None and (died.work_related
                                        or _grade_at_death(facts) in RETIREMENT_GRADES)
        return None if at_work or declared else "no death at work, of a grade 1–4 worker, " \
            "or declared by a court (NR-39, NR-41)"
    if kind is K.DEATH_SUBSIDY:
        ok = (died is not None and died.work_related) or declared
        return None if ok else "no death at work or declaration of death (NR-39, XM-25)"
    if kind is K.DEATH_SUBSIDY_ADVANCE:
        ok = facts.missing is not None and not declared and died is None
        return None if ok else "the worker is not missing, or is declared dead (XM-14, NR-41)"
    if kind is K.MEDICAL_EMPLOYMENT_SUBSIDY:
        ok = bool(facts.assessments) and facts.assessments[-1].grade in SUBSIDY_GRADES
        return None if ok else "no assessment of grade 5–10 (NR-36, NR-37, XM-15)"
    return _why_no_pension(facts, refs, dependant_id)


def _why_no_pension(facts: WorkerFacts, refs: References, dependant_id: str | None
                    ) -> str | None:
    dependant = facts.dependant(dependant_id or "")
    if dependant is None:
        return f"no registered dependant {dependant_id} (XM-13)"
    start = dependants_from(facts, refs)
    if start is None:
        return "no death or missing worker entitling dependants (NR-39, NR-41)"
    first, last = dependant_window(dependant, start)
    if last is not None and last < first:
        return f"the dependant's pension would end ({last}) before it starts ({first}), XM-23"
    return None


def check_due(kind: K, facts: WorkerFacts, refs: References, injury_id: str,
              dependant_id: str | None) -> None:
    """Refuse a claim the facts do not support (XM-9: a recognised injury first)."""
    if facts.injury is None:
        raise Rejected("injury_not_recognised", f"no recognised injury for {facts.worker_id}")
    if facts.injury.injury_id != injury_id:
        raise Rejected("other_injury", f"claim names injury {injury_id}, "
                       f"the facts are of {facts.injury.injury_id}")
    why = _why_not(kind, facts, refs, dependant_id)
    if why is not None:
        raise Rejected("benefit_not_due", f"{kind.value}: {why}")


_PRICED = {K.FUNERAL_SUBSIDY: OneTimeBenefit.FUNERAL_SUBSIDY,
           K.DEATH_SUBSIDY: OneTimeBenefit.DEATH_SUBSIDY}


def one_time_amount(kind: K, facts: WorkerFacts, refs: References, advanced_fen: int,
                    on: date) -> OneTimeAmount:
    """The amount of a due one-time benefit; the death subsidy after a declaration less
    what was advanced (XM-25), the advance on the income of the year before `on` (XM-14)."""
    if kind is K.DISABILITY_SUBSIDY:
        found = disability_subsidy(facts, refs)
    elif kind is K.DEATH_SUBSIDY_ADVANCE:
        found = missing_advance(facts, refs, on)
    else:
        wanted = _PRICED[kind]
        found = next((a for a in death_benefits(facts, refs, advanced_fen)
                      if a.benefit is wanted), None)
    if found is None:
        raise Rejected("benefit_not_due", f"{kind.value}: nothing due on the facts")
    return found
