"""Money events → balanced postings (one rule per kind of money event).

Settlement service events (`contracts.settlement`) and accepted gateway claims become
`LedgerPosted` entries; settlements are counted in a clearing cycle (SD-FUND-2), cross-provincial
ones drawn on the prepayment held at the treatment province (SD-FUND-1).
"""

from __future__ import annotations

import uuid
from datetime import date

from contracts.benefits import BenefitClaimPaid, MonthlyBenefitPaid, MonthlyBenefitReversed
from contracts.clearing import Entry, LedgerPosted, PostingKind
from contracts.gateway import CrossProvincialClaim
from contracts.settlement import (
    AdvanceGranted,
    AdvanceOffset,
    ClaimPaid,
    EmployerReceivableRaised,
    EncounterSettled,
    SettlementReversed,
)
from contracts.types import city_of
from services.clearing.domain import accounts, cycles, prepayment
from services.clearing.domain.state import ClearingState, Policy


def legs(*pairs: tuple[str, int]) -> tuple[Entry, ...]:
    """Entries without zero legs, same account legs merged (order kept)."""
    merged: dict[str, int] = {}
    for account, amount in pairs:
        merged[account] = merged.get(account, 0) + amount
    return tuple(Entry(account=a, amount_fen=v) for a, v in merged.items() if v != 0)


def settlement_posting(state: ClearingState, policy: Policy, *, kind: PostingKind,
                       cause: uuid.UUID, cause_type: str, settlement_id: str, insured: str,
                       treatment: str, institution_id: str, fund_fen: int, on: date,
                       reference: str | None = None) -> LedgerPosted:
    """SD-FUND-1/2: a direct settlement (fund_fen > 0) or its reversal/refusal (< 0).

    Intra-provincial: the insured city's fund is charged, the institution is owed (paid by its
    agency at clearing). Cross-provincial: drawn on the prepayment held at the treatment
    province, which paid the institution at discharge.
    """
    cross = insured[:2] != treatment[:2]
    if cross:
        pre = accounts.prepayment(insured, treatment)
        entries = legs((accounts.fund(insured), fund_fen), (pre, -fund_fen))
        status = prepayment.status_after(state, entries, pre, policy)
    else:
        entries = legs((accounts.fund(insured), fund_fen),
                       (accounts.institution(institution_id), -fund_fen))
        status = None
    cid, late = None, False
    who = cycles.parties(insured, treatment)
    if who is not None:
        cid, late = cycles.assign(state, cycles.month_of(on), who[0], who[1])
    return LedgerPosted(
        ledger_seq=state.seq, entries=entries, kind=kind, reference=reference or settlement_id,
        cause_event_id=cause, cause_type=cause_type, business_date=on,
        insured_region=insured, treatment_region=treatment, institution_id=institution_id,
        settlement_id=settlement_id, cycle_id=cid, late=late, prepayment=status,
    )


def settled(state: ClearingState, policy: Policy, ev: EncounterSettled,
            cause: uuid.UUID) -> LedgerPosted:
    """Carries the medical total (the encounter's submitted amount) for 3201/3202."""
    return settlement_posting(
        state, policy, kind=PostingKind.SETTLEMENT, cause=cause, cause_type=ev.message_type,
        settlement_id=ev.settlement_id, insured=ev.insured_region, treatment=ev.treatment_region,
        institution_id=ev.institution_id, fund_fen=ev.fund_fen, on=ev.settled_on
    ).model_copy(update={"medical_fen": ev.submitted_fen})


def reversed_(state: ClearingState, policy: Policy, ev: SettlementReversed,
              cause: uuid.UUID) -> LedgerPosted:
    """A reversal is counted negative in the cycle of its own date (never edits the original)."""
    return settlement_posting(
        state, policy, kind=PostingKind.REVERSAL, cause=cause, cause_type=ev.message_type,
        settlement_id=ev.settlement_id, insured=ev.insured_region, treatment=ev.treatment_region,
        institution_id=ev.institution_id, fund_fen=-ev.fund_fen, on=ev.reversed_on)


def gateway_claim(state: ClearingState, policy: Policy, claim: CrossProvincialClaim,
                  cause: uuid.UUID) -> LedgerPosted:
    """An accepted cross-provincial claim for our insured worker: drawn on our prepayment."""
    return settlement_posting(
        state, policy, kind=PostingKind.GATEWAY_CLAIM, cause=cause,
        cause_type="GatewayClaimAnswered", settlement_id=claim.settlement_id,
        insured=claim.insured_region, treatment=claim.treatment_region,
        institution_id=claim.institution_id, fund_fen=claim.fund_fen, on=claim.settled_on)


def _simple(state: ClearingState, kind: PostingKind, cause: uuid.UUID, cause_type: str,
            reference: str, on: date, region: str, *pairs: tuple[str, int]) -> LedgerPosted:
    return LedgerPosted(ledger_seq=state.seq, entries=legs(*pairs), kind=kind,
                        reference=reference, cause_event_id=cause, cause_type=cause_type,
                        business_date=on, insured_region=region)


def claim_paid(state: ClearingState, ev: ClaimPaid, cause: uuid.UUID) -> LedgerPosted:
    """XM-19/XM-21: a reimbursement paid from the insured fund's bank account."""
    r = ev.insured_region
    return _simple(state, PostingKind.CLAIM_PAID, cause, ev.message_type, ev.claim_id,
                   ev.paid_on, r, (accounts.fund(r), ev.amount_fen),
                   (accounts.bank(city_of(r)), -ev.amount_fen))


def advance_granted(state: ClearingState, ev: AdvanceGranted, cause: uuid.UUID) -> LedgerPosted:
    """XM-20: the employer owes the advance until it is offset."""
    r = ev.insured_region
    return _simple(state, PostingKind.ADVANCE_GRANTED, cause, ev.message_type, ev.advance_id,
                   ev.granted_on, r, (accounts.employer(ev.employer_id), ev.amount_fen),
                   (accounts.bank(city_of(r)), -ev.amount_fen))


def advance_offset(state: ClearingState, ev: AdvanceOffset, cause: uuid.UUID) -> LedgerPosted:
    """XM-20: final cost charged, advance cleared, remainder paid (> 0) or recovered (< 0)."""
    r = ev.insured_region
    return _simple(state, PostingKind.ADVANCE_OFFSET, cause, ev.message_type, ev.advance_id,
                   ev.offset_on, r, (accounts.fund(r), ev.final_fen),
                   (accounts.employer(ev.employer_id), -ev.advance_fen),
                   (accounts.bank(city_of(r)), -(ev.final_fen - ev.advance_fen)))


def receivable(state: ClearingState, ev: EmployerReceivableRaised,
               cause: uuid.UUID) -> LedgerPosted:
    """XM-18: money settled on account becomes a receivable on the misreporting employer."""
    r = ev.insured_region
    return _simple(state, PostingKind.EMPLOYER_RECEIVABLE, cause, ev.message_type,
                   ev.receivable_id, ev.raised_on, r,
                   (accounts.employer(ev.employer_id), ev.amount_fen),
                   (accounts.fund(r), -ev.amount_fen))


def benefit(state: ClearingState, ev: BenefitClaimPaid | MonthlyBenefitPaid
            | MonthlyBenefitReversed, cause: uuid.UUID) -> LedgerPosted:
    """XM-21: a benefit paid (or a monthly payment reversed) with the balanced entries the
    benefits service decided (fund charged, payee credited), posted as they are."""
    if isinstance(ev, BenefitClaimPaid):
        kind, reference, on = PostingKind.BENEFIT_PAID, ev.claim_id, ev.paid_on
    else:
        reversed_ = isinstance(ev, MonthlyBenefitReversed)
        kind = PostingKind.BENEFIT_REVERSED if reversed_ else PostingKind.BENEFIT_PAID
        reference, on = str(ev.payment_id), ev.paid_on
    return LedgerPosted(ledger_seq=state.seq, entries=ev.entries, kind=kind,
                        reference=reference, cause_event_id=cause,
                        cause_type=ev.message_type, business_date=on,
                        insured_region=ev.insured_region)
