"""XM-10 / XM-11 / XM-16: the documents a claim needs, per situation (材料清单).

A claim is complete only when every document required by *all* its situations is present
(`missing_documents` is empty); completeness starts the XM-17 review clock.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.settlement import ClaimSituation as S
from contracts.settlement import DocumentKind as D

# XM-10: what every benefit claim carries (items 1–7; items 8–9 concern construction firms
# and periodic benefits, which this service does not pay).
BASE: frozenset[D] = frozenset({
    D.BENEFIT_REVIEW_FORM, D.INJURY_DETERMINATION, D.LABOUR_CAPACITY_ASSESSMENT, D.ID_COPY,
    D.INVOICES_AND_ITEMISED_BILL, D.MEDICAL_RECORDS, D.SOCIAL_SECURITY_CARD,
})

# XM-16: staged reimbursement / advances, during treatment (no assessment exists yet).
STAGED: frozenset[D] = frozenset({
    D.EMPLOYER_APPLICATION, D.TRANSFER_APPROVAL, D.CONSULTATION_RECORD,
    D.INVOICES_AND_ITEMISED_BILL, D.ID_COPY,
})

# XM-11: what each situation adds to the base list.
EXTRA: dict[S, frozenset[D]] = {
    S.NON_ENABLED_INSTITUTION: frozenset(),
    S.CROSS_PROVINCIAL_OUTPATIENT: frozenset(),
    S.NO_NOTICE_BEFORE_DISCHARGE: frozenset(),
    S.OUTPATIENT: frozenset(),
    S.REFERRAL_COSTS: frozenset({D.TRANSFER_APPROVAL, D.TRAVEL_RECEIPTS}),  # SD-ENC-8
    S.TRANSFER_OUT: frozenset({D.TRANSFER_APPROVAL}),  # XM-11(5)
    S.OCCUPATIONAL_DISEASE: frozenset({D.OCCUPATIONAL_DISEASE_CERTIFICATE}),  # XM-11(6)
    S.RECURRENCE: frozenset({D.RECURRENCE_CONFIRMATION}),  # XM-11(3)
    S.MEDICAL_DEPENDENCE: frozenset({D.MEDICAL_DEPENDENCE_CONFIRMATION}),  # XM-11(4)
    S.THIRD_PARTY: frozenset({D.LIABILITY_DECISION}),  # XM-11(10)/(11)
    S.REHABILITATION: frozenset({D.REHAB_CONFIRMATION, D.REHAB_PLAN}),  # XM-11(7)
    S.ASSISTIVE_DEVICE: frozenset({D.DEVICE_CONFIRMATION}),  # XM-11(8)
    S.STAGED_REIMBURSEMENT: frozenset(),  # replaced by STAGED below
    S.ONE_TIME_BENEFIT: frozenset(),
}


def required_documents(situations: Iterable[S]) -> frozenset[D]:
    """XM-10/11/16: the union of what every situation of the claim requires.

    A staged reimbursement (XM-16) happens during treatment, before any labour-capacity
    assessment: it uses the XM-16 list instead of the XM-10 base, plus its other situations'
    extras.
    """
    situations = frozenset(situations)
    needed: set[D] = set(STAGED if S.STAGED_REIMBURSEMENT in situations else BASE)
    for s in situations:
        needed |= EXTRA[s]
    return frozenset(needed)


def missing_documents(situations: Iterable[S], present: Iterable[D]) -> tuple[D, ...]:
    """What is still missing, in a stable order (enum order) so events replay identically."""
    needed = required_documents(situations)
    have = set(present)
    return tuple(d for d in D if d in needed and d not in have)


def advance_documents_missing(present: Iterable[D]) -> tuple[D, ...]:
    """XM-16: an advance (预借预支) needs the XM-16 documents."""
    have = set(present)
    return tuple(d for d in D if d in STAGED and d not in have)
