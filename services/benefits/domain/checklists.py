"""The documents a benefit claim needs (材料清单), per kind and per situation of the facts.

XM-10 lists what every benefit claim carries; a death adds the death certificate and the
household deregistration (XM-10(6)), a court's declaration of death replaces them (XM-25);
XM-13 lists a dependant's documents, with extras by situation (posthumous child, orphan or
lone elderly person, aged 16–17, fully unable to work) and the bank card of a periodic
benefit (XM-10(9)); XM-14 the advance's proof of difficulty; XM-15 the employer's subsidy
application. A claim is complete when nothing on its list is missing (XM-17's clock starts).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from contracts.benefits import BenefitClaimKind as K
from contracts.benefits import BenefitDocument as D
from services.benefits.domain.facts import Dependant, WorkerFacts

CLAIM_FORM = frozenset({D.REVIEW_FORM, D.INJURY_DETERMINATION, D.ID_COPY})  # XM-10(1)(2)(4)
DISABILITY = CLAIM_FORM | {D.LABOUR_CAPACITY_ASSESSMENT, D.MEDICAL_RECORDS,
                           D.SOCIAL_SECURITY_CARD}  # XM-10(3)(6)(7)
DEATH = CLAIM_FORM | {D.DEATH_CERTIFICATE, D.HOUSEHOLD_DEREGISTRATION}  # XM-10(6)
DECLARED_DEATH = CLAIM_FORM | {D.COURT_DECLARATION}  # XM-25
ADVANCE = CLAIM_FORM | {D.DIFFICULTY_PROOF}  # XM-14
SUBSIDY = frozenset({D.SUBSIDY_APPLICATION_FORM, D.CONTRACT_TERMINATION, D.SUBSIDY_AGREEMENT,
                     D.EMPLOYER_PAYMENT_RECEIPT, D.BENEFIT_NOTICE})  # XM-15(1)–(5)
DEPENDANT = frozenset({D.HOUSEHOLD_REGISTER, D.RELATION_PROOF, D.NO_INCOME_PROOF,
                       D.BANK_CARD_COPY})  # XM-13(1)–(3), XM-10(9)


def age_on(born_on: date, day: date) -> int:
    return day.year - born_on.year - ((day.month, day.day) < (born_on.month, born_on.day))


def dependant_documents(dependant: Dependant | None, filed_on: date) -> frozenset[D]:
    """XM-13: the base list and what the dependant's situation adds."""
    if dependant is None:
        return DEPENDANT
    reg = dependant.registered
    extra = {D.BIRTH_CERTIFICATE} if reg.posthumous else set()  # XM-13(4)
    if reg.alone:
        extra.add(D.ALONE_PROOF)  # XM-13(5)
    if 16 <= age_on(reg.born_on, filed_on) < 18:
        extra.add(D.SCHOOLING_PROOF)  # XM-13(6)
    if reg.unable_to_work:
        extra.add(D.LABOUR_CAPACITY_ASSESSMENT)  # XM-13(8)
    return DEPENDANT | extra


def required_documents(kind: K, facts: WorkerFacts, dependant_id: str | None,
                       filed_on: date) -> frozenset[D]:
    """The checklist of one claim, from its kind and the facts known when it is filed."""
    if kind is K.DISABILITY_SUBSIDY:
        return DISABILITY
    if kind in (K.FUNERAL_SUBSIDY, K.DEATH_SUBSIDY):
        return DEATH if facts.died is not None or facts.declared is None else DECLARED_DEATH
    if kind is K.DEATH_SUBSIDY_ADVANCE:
        return ADVANCE
    if kind is K.MEDICAL_EMPLOYMENT_SUBSIDY:
        return SUBSIDY
    return dependant_documents(facts.dependant(dependant_id or ""), filed_on)


def missing(needed: frozenset[D], present: Iterable[D]) -> tuple[D, ...]:
    """What is still missing, in enum order (events replay identically)."""
    have = set(present)
    return tuple(d for d in D if d in needed and d not in have)
