"""Reimbursement claims (报销/核销): filing, documents, review, payment, advances, clawback.

Rules: XM-9 (recognised and insured), XM-10/11/16 (documents), XM-17 (deadlines),
XM-18 (clawback), XM-19/21 (payee and channel), XM-20 (advances).
"""

from __future__ import annotations

from datetime import date

from contracts.decision import Rejected
from contracts.message import Event
from contracts.settlement import (
    AdvanceGranted,
    AdvanceOffset,
    Claimant,
    ClaimCompleted,
    ClaimDocumentsSubmitted,
    ClaimFiled,
    ClaimPaid,
    ClaimReviewed,
    ClaimStatus,
    EmployerReceivableRaised,
    FileClaim,
    GrantAdvance,
    InjuryFacts,
    PayClaim,
    Payee,
    PaymentChannel,
    RecordInjuryNotRecognised,
    ReviewClaim,
    SubmitClaimDocuments,
)
from contracts.types import MAX_FEN
from services.settlement.domain.documents import advance_documents_missing, missing_documents
from services.settlement.domain.rules import RuleSet, rules_on
from services.settlement.domain.state import ClaimEntry, WorkerState
from services.settlement.domain.workdays import WorkCalendar, add_working_days


def check_injury_covered(injury: InjuryFacts) -> None:
    """XM-9: the fund pays only a recognised injury of a worker insured on the injury date."""
    if not injury.recognised:
        raise Rejected("injury_not_recognised",
                       f"the injury of {injury.injury_date} is not recognised as work injury")
    if not injury.insured_on_injury_date:
        raise Rejected("not_insured_on_injury_date",
                       f"the worker's insurance was not in force on {injury.injury_date}")


def claim_of(state: WorkerState, claim_id: str) -> ClaimEntry:
    entry = state.claims.get(claim_id)
    if entry is None:
        raise Rejected("unknown_claim", f"no claim {claim_id} for this worker")
    return entry


def decide_file(state: WorkerState, cmd: FileClaim, calendar: WorkCalendar | None = None
                ) -> list[Event]:
    """XM-9/10/11: file a claim; complete at once if every required document is present."""
    check_injury_covered(cmd.injury)
    if cmd.claim_id in state.claims:
        raise Rejected("duplicate_claim", f"claim {cmd.claim_id} was already filed")
    if cmd.claimant is Claimant.EMPLOYER and not cmd.employer_id:
        raise Rejected("employer_required", "an employer's claim must name the employer")
    claimed = sum(c.amount_fen for c in cmd.costs)
    if claimed > MAX_FEN:
        raise Rejected("amount_overflow", f"claimed total {claimed} fen exceeds {MAX_FEN} fen")
    for cost in cmd.costs:
        known = state.encounters.get(cost.encounter_id or "")
        if known is not None and known.settled is not None:
            raise Rejected("settled_directly",
                           f"encounter {cost.encounter_id} was settled directly "
                           f"({known.settled.settlement_id}); it cannot also be reimbursed")
    missing = missing_documents(cmd.situations, cmd.documents)
    events: list[Event] = [ClaimFiled(
        claim_id=cmd.claim_id, worker_id=cmd.worker_id, claimant=cmd.claimant,
        employer_id=cmd.employer_id, insured_region=cmd.insured_region,
        situations=cmd.situations, injury=cmd.injury, costs=cmd.costs, claimed_fen=claimed,
        documents=tuple(dict.fromkeys(cmd.documents)), missing_documents=missing,
        filed_on=cmd.filed_on)]
    if not missing:
        events.append(completed(cmd.claim_id, cmd.worker_id, cmd.filed_on, calendar))
    return events


def completed(claim_id: str, worker_id: str, on: date, calendar: WorkCalendar | None = None
              ) -> ClaimCompleted:
    """XM-17: completeness starts the clock: review due 15 working days later."""
    rules = rules_on(on)
    due = add_working_days(on, rules.review_working_days, calendar)
    return ClaimCompleted(claim_id=claim_id, worker_id=worker_id, completed_on=on,
                          review_due_on=due.on, calendar_estimated=due.estimated)


def decide_documents(state: WorkerState, cmd: SubmitClaimDocuments,
                     calendar: WorkCalendar | None = None) -> list[Event]:
    """XM-10/11: documents handed in later; the claim completes when nothing is missing."""
    entry = claim_of(state, cmd.claim_id)
    if entry.status is not ClaimStatus.INCOMPLETE:
        raise Rejected("claim_already_complete", f"claim {cmd.claim_id} is {entry.status.value}")
    new = tuple(d for d in dict.fromkeys(cmd.documents) if d not in entry.documents)
    if not new:
        raise Rejected("no_new_documents", f"claim {cmd.claim_id} already has these documents")
    missing = missing_documents(entry.situations, entry.documents + new)
    events: list[Event] = [ClaimDocumentsSubmitted(
        claim_id=cmd.claim_id, worker_id=cmd.worker_id, documents=new,
        missing_documents=missing, submitted_on=cmd.submitted_on)]
    if not missing:
        events.append(completed(cmd.claim_id, cmd.worker_id, cmd.submitted_on, calendar))
    return events


def payee_and_channel(entry: ClaimEntry, amount: int, requested: PaymentChannel,
                      rules: RuleSet) -> tuple[Payee, PaymentChannel]:
    """XM-19/21: above 2,000 yuan by bank transfer; at or below, cash may be paid.
    One-time benefits go by bank transfer to the employer (XM-21(1))."""
    if entry.one_time_benefit:
        if not entry.employer_id:
            raise Rejected("employer_required", "one-time benefits are paid to the employer")
        return Payee.EMPLOYER, PaymentChannel.BANK_TRANSFER
    payee = Payee.EMPLOYER if entry.claimant is Claimant.EMPLOYER else Payee.WORKER
    if requested is PaymentChannel.CASH and amount > rules.cash_limit_fen:
        raise Rejected("cash_not_allowed",
                       f"{amount} fen is above {rules.cash_limit_fen} fen: bank transfer only "
                       "(XM-19)")
    return payee, requested


def decide_review(state: WorkerState, cmd: ReviewClaim, calendar: WorkCalendar | None = None
                  ) -> list[Event]:
    """XM-17/19: review a complete claim; payment due 10 working days after review."""
    entry = claim_of(state, cmd.claim_id)
    if entry.status is ClaimStatus.INCOMPLETE:
        raise Rejected("documents_incomplete",
                       f"claim {cmd.claim_id} misses: {', '.join(d.value for d in entry.missing)}")
    if entry.status is not ClaimStatus.COMPLETE:
        raise Rejected("already_reviewed", f"claim {cmd.claim_id} is {entry.status.value}")
    if cmd.approved_fen > entry.claimed_fen:
        raise Rejected("approved_exceeds_claimed",
                       f"approved {cmd.approved_fen} fen > claimed {entry.claimed_fen} fen")
    rules = rules_on(cmd.reviewed_on)
    payee, channel = payee_and_channel(entry, cmd.approved_fen, cmd.requested_channel, rules)
    due = add_working_days(cmd.reviewed_on, rules.payment_working_days, calendar)
    return [ClaimReviewed(
        claim_id=cmd.claim_id, worker_id=cmd.worker_id, approved_fen=cmd.approved_fen,
        payee=payee, channel=channel, reviewed_on=cmd.reviewed_on, payment_due_on=due.on,
        calendar_estimated=due.estimated)]


def decide_pay(state: WorkerState, cmd: PayClaim) -> list[Event]:
    """XM-19/21 payment; XM-20: a claim with an advance is offset instead (remainder paid or
    recovered through `AdvanceOffset`, not a second `ClaimPaid`)."""
    entry = claim_of(state, cmd.claim_id)
    if entry.status is not ClaimStatus.REVIEWED:
        raise Rejected("not_reviewed", f"claim {cmd.claim_id} is {entry.status.value}")
    assert entry.approved_fen is not None and entry.payee and entry.channel
    if entry.advance is not None:
        adv = entry.advance
        return [AdvanceOffset(
            advance_id=adv.advance_id, claim_id=cmd.claim_id, employer_id=adv.employer_id,
            worker_id=cmd.worker_id, insured_region=entry.insured_region,
            advance_fen=adv.amount_fen, final_fen=entry.approved_fen,
            remainder_fen=entry.approved_fen - adv.amount_fen, offset_on=cmd.paid_on)]
    return [ClaimPaid(
        claim_id=cmd.claim_id, worker_id=cmd.worker_id, employer_id=entry.employer_id,
        insured_region=entry.insured_region, payee=entry.payee, channel=entry.channel,
        amount_fen=entry.approved_fen, paid_on=cmd.paid_on)]


def decide_advance(state: WorkerState, cmd: GrantAdvance) -> list[Event]:
    """XM-20: an employer whose worker's treatment costs exceed 50,000 yuan may borrow."""
    entry = claim_of(state, cmd.claim_id)
    if entry.claimant is not Claimant.EMPLOYER or not entry.employer_id:
        raise Rejected("employer_only", "only an employer's claim can carry an advance (XM-20)")
    if entry.status in (ClaimStatus.REVIEWED, ClaimStatus.PAID):
        raise Rejected("claim_already_reviewed", f"claim {cmd.claim_id} is {entry.status.value}")
    if entry.advance is not None:
        raise Rejected("advance_exists", f"claim {cmd.claim_id} already has "
                       f"advance {entry.advance.advance_id}")
    rules = rules_on(cmd.granted_on)
    if entry.claimed_fen <= rules.advance_threshold_fen:
        raise Rejected("advance_threshold_not_met",
                       f"treatment costs {entry.claimed_fen} fen are not above "
                       f"{rules.advance_threshold_fen} fen (XM-20)")
    if not 0 < cmd.amount_fen <= entry.claimed_fen:
        raise Rejected("advance_amount_invalid",
                       f"advance {cmd.amount_fen} fen must be >0 and <= {entry.claimed_fen}")
    missing = advance_documents_missing(entry.documents)
    if missing:
        raise Rejected("documents_incomplete",
                       f"an advance needs (XM-16): {', '.join(d.value for d in missing)}")
    return [AdvanceGranted(
        advance_id=cmd.advance_id, claim_id=cmd.claim_id, employer_id=entry.employer_id,
        worker_id=cmd.worker_id, insured_region=entry.insured_region,
        amount_fen=cmd.amount_fen, granted_on=cmd.granted_on)]


def decide_clawback(state: WorkerState, cmd: RecordInjuryNotRecognised) -> list[Event]:
    """XM-18: settled-on-account money becomes a receivable on the misreporting employer."""
    taken = [e.settled for e in state.encounters.values()
             if e.settled is not None and e.on_account and not e.clawed_back]
    if not taken:
        raise Rejected("nothing_settled_on_account",
                       "no settlement on account for this worker is left to recover")
    ordered = sorted(taken, key=lambda s: s.settlement_id)
    return [EmployerReceivableRaised(
        receivable_id=f"R-{cmd.worker_id}-{state.receivables + 1}", employer_id=cmd.employer_id,
        worker_id=cmd.worker_id, insured_region=ordered[0].insured_region,
        amount_fen=sum(s.fund_fen for s in ordered),
        settlement_ids=tuple(s.settlement_id for s in ordered), raised_on=cmd.decided_on,
        reason=cmd.reason)]
