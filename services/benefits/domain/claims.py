"""Claims for one-time benefits (XM-10, XM-13…15): filing, documents, review, payment.

Each `decide_*` takes the worker's claims (claim_state.ClaimBook), the benefit facts
(facts.py), the references and the working-day calendar, and returns events or raises
`Rejected` with a reason code: `benefit_not_due` (the facts do not give this benefit),
`documents_incomplete` (the checklist, checklists.py), `already_paid`, `claim_already_open`,
`duplicate_claim`, `unknown_claim`, `employer_required`, `dependant_required`, `not_reviewed`,
`already_reviewed`, `paid_by_monthly_run`. XM-17: review due 15 working days after the
documents are complete, payment 10 working days after the review. XM-21: a one-time benefit
is paid by bank transfer to the employer; a dependant's pension is approved here to the
dependant's own account and paid month by month by the run (payment_run.py).
"""

from __future__ import annotations

from datetime import date

from contracts.benefits import (
    BenefitClaimCompleted,
    BenefitClaimDocumentsReceived,
    BenefitClaimFiled,
    BenefitClaimKind,
    BenefitClaimPaid,
    BenefitClaimReviewed,
    FileBenefitClaim,
    PayBenefitClaim,
    PayeeKind,
    ReviewBenefitClaim,
    SubmitBenefitClaimDocuments,
)
from contracts.decision import Rejected
from contracts.message import Command, Event
from contracts.settlement import ClaimStatus
from services.benefits.domain import postings
from services.benefits.domain.checklists import missing, required_documents
from services.benefits.domain.claim_state import BenefitClaim, ClaimBook
from services.benefits.domain.eligibility import check_due, one_time_amount
from services.benefits.domain.facts import WorkerFacts
from services.benefits.domain.levels import References
from services.benefits.domain.workdays import (
    PAYMENT_WORKING_DAYS,
    REVIEW_WORKING_DAYS,
    WorkCalendar,
    add_working_days,
)

K = BenefitClaimKind


def claim_of(book: ClaimBook, claim_id: str) -> BenefitClaim:
    claim = book.get(claim_id)
    if claim is None:
        raise Rejected("unknown_claim", f"no benefit claim {claim_id} for {book.worker_id}")
    return claim


def completed(claim_id: str, worker_id: str, on: date, calendar: WorkCalendar
              ) -> BenefitClaimCompleted:
    """XM-17: completeness starts the clock: review due 15 working days later."""
    due = add_working_days(calendar, on, REVIEW_WORKING_DAYS)
    return BenefitClaimCompleted(claim_id=claim_id, worker_id=worker_id, completed_on=on,
                                 review_due_on=due.on, calendar_estimated=due.estimated)


def check_not_claimed(book: ClaimBook, kind: K, dependant_id: str | None) -> None:
    """One claim per benefit (and dependant) and injury: refused if paid or still open."""
    for other in book.of_kind(kind, dependant_id):
        if other.status is ClaimStatus.PAID:
            raise Rejected("already_paid", f"{kind.value} was paid on claim {other.claim_id}")
        raise Rejected("claim_already_open", f"{kind.value} is claimed by {other.claim_id} "
                       f"({other.status.value})")


def check_parties(cmd: FileBenefitClaim) -> None:
    """XM-21(1)(2): a one-time benefit needs the employer it is paid to; XM-13 names the
    dependant; XM-15's subsidy alone carries an amount claimed."""
    if cmd.kind is K.DEPENDANT_PENSION and not cmd.dependant_id:
        raise Rejected("dependant_required", "a dependant's pension claim names the dependant")
    if cmd.kind is not K.DEPENDANT_PENSION and not cmd.employer_id:
        raise Rejected("employer_required",
                       "one-time benefits are paid by bank to the employer (XM-21)")
    if (cmd.claimed_fen is None) is (cmd.kind is K.MEDICAL_EMPLOYMENT_SUBSIDY):
        raise Rejected("claimed_amount_invalid", "an amount is claimed for the XM-15 subsidy "
                       "only; the other amounts follow from the facts and the levels")


def decide_file(book: ClaimBook, facts: WorkerFacts, refs: References, cmd: FileBenefitClaim,
                calendar: WorkCalendar) -> list[Event]:
    """XM-10, XM-13…15: file a claim; complete at once if its checklist is satisfied."""
    if book.get(cmd.claim_id) is not None:
        raise Rejected("duplicate_claim", f"claim {cmd.claim_id} was already filed")
    check_parties(cmd)
    check_due(cmd.kind, facts, refs, cmd.injury_id, cmd.dependant_id)
    check_not_claimed(book, cmd.kind, cmd.dependant_id)
    documents = tuple(dict.fromkeys(cmd.documents))
    needed = required_documents(cmd.kind, facts, cmd.dependant_id, cmd.filed_on)
    lacking = missing(needed, documents)
    events: list[Event] = [BenefitClaimFiled(
        claim_id=cmd.claim_id, worker_id=cmd.worker_id, injury_id=cmd.injury_id, kind=cmd.kind,
        employer_id=cmd.employer_id, dependant_id=cmd.dependant_id, claimed_fen=cmd.claimed_fen,
        documents=documents, missing_documents=lacking, filed_on=cmd.filed_on)]
    if not lacking:
        events.append(completed(cmd.claim_id, cmd.worker_id, cmd.filed_on, calendar))
    return events


def decide_documents(book: ClaimBook, cmd: SubmitBenefitClaimDocuments,
                     calendar: WorkCalendar) -> list[Event]:
    """Documents handed in later; the claim completes when its checklist is satisfied."""
    claim = claim_of(book, cmd.claim_id)
    if claim.status is not ClaimStatus.INCOMPLETE:
        raise Rejected("claim_already_complete", f"claim {cmd.claim_id} is {claim.status.value}")
    new = tuple(d for d in dict.fromkeys(cmd.documents) if d not in claim.documents)
    if not new:
        raise Rejected("no_new_documents", f"claim {cmd.claim_id} already has these documents")
    lacking = tuple(d for d in claim.missing if d not in new)
    events: list[Event] = [BenefitClaimDocumentsReceived(
        claim_id=cmd.claim_id, worker_id=cmd.worker_id, documents=new,
        missing_documents=lacking, received_on=cmd.submitted_on)]
    if not lacking:
        events.append(completed(cmd.claim_id, cmd.worker_id, cmd.submitted_on, calendar))
    return events


def reviewed_amount(claim: BenefitClaim, facts: WorkerFacts, refs: References, book: ClaimBook,
                    cmd: ReviewBenefitClaim) -> tuple[int | None, tuple[str, ...]]:
    """The amount and its rules: from the facts and levels, the XM-15 subsidy as approved
    (at most what was claimed), none for a monthly pension (the run pays it)."""
    kind = claim.kind
    if kind is K.DEPENDANT_PENSION:
        return None, ("XM-13", "XM-21(3)")
    if kind is K.MEDICAL_EMPLOYMENT_SUBSIDY:
        claimed = claim.filed.claimed_fen or 0
        if cmd.approved_fen is None or cmd.approved_fen > claimed:
            raise Rejected("approved_amount_invalid", f"the XM-15 subsidy needs an approved "
                           f"amount of at most the {claimed} fen claimed")
        return cmd.approved_fen, ("XM-15", "XM-21(2)")
    if cmd.approved_fen is not None:
        raise Rejected("approved_amount_invalid",
                       f"{kind.value} follows from the facts and the levels")
    advanced = book.paid_fen(K.DEATH_SUBSIDY_ADVANCE)
    found = one_time_amount(kind, facts, refs, advanced, cmd.reviewed_on)
    return found.amount_fen, (*found.rules, "XM-21(1)")


def decide_review(book: ClaimBook, facts: WorkerFacts, refs: References,
                  cmd: ReviewBenefitClaim, calendar: WorkCalendar) -> list[Event]:
    """XM-17: review a complete claim (the facts checked again); payment due in 10 working
    days; XM-21 payee and channel."""
    claim = claim_of(book, cmd.claim_id)
    if claim.status is ClaimStatus.INCOMPLETE:
        raise Rejected("documents_incomplete", f"claim {cmd.claim_id} misses: "
                       f"{', '.join(d.value for d in claim.missing)}")
    if claim.status is not ClaimStatus.COMPLETE:
        raise Rejected("already_reviewed", f"claim {cmd.claim_id} is {claim.status.value}")
    filed = claim.filed
    check_due(claim.kind, facts, refs, filed.injury_id, filed.dependant_id)
    amount, rules = reviewed_amount(claim, facts, refs, book, cmd)
    payee, payee_id = ((PayeeKind.PERSON, filed.dependant_id) if claim.kind is K.DEPENDANT_PENSION
                       else (PayeeKind.EMPLOYER, filed.employer_id))
    assert payee_id is not None  # check_parties at filing
    due = add_working_days(calendar, cmd.reviewed_on, PAYMENT_WORKING_DAYS)
    return [BenefitClaimReviewed(
        claim_id=cmd.claim_id, worker_id=cmd.worker_id, kind=claim.kind, amount_fen=amount,
        payee=payee, payee_id=payee_id, rules=rules, reviewed_on=cmd.reviewed_on,
        payment_due_on=due.on, calendar_estimated=due.estimated)]


def decide_pay(book: ClaimBook, facts: WorkerFacts, cmd: PayBenefitClaim) -> list[Event]:
    """XM-17, XM-21(1)(2): finance pays a reviewed one-time benefit to the employer; the
    postings debit the fund and credit the employer."""
    claim = claim_of(book, cmd.claim_id)
    if claim.status is ClaimStatus.PAID:
        raise Rejected("already_paid", f"claim {cmd.claim_id} was paid on "
                       f"{claim.paid.paid_on if claim.paid else '?'}")
    reviewed = claim.reviewed
    if reviewed is None:
        raise Rejected("not_reviewed", f"claim {cmd.claim_id} is {claim.status.value}")
    if reviewed.amount_fen is None:
        raise Rejected("paid_by_monthly_run",
                       "a dependant's pension is paid month by month by the payment run")
    assert facts.injury is not None  # checked at review
    region = facts.injury.insured_region
    return [BenefitClaimPaid(
        claim_id=cmd.claim_id, worker_id=cmd.worker_id, injury_id=claim.filed.injury_id,
        insured_region=region, kind=claim.kind, amount_fen=reviewed.amount_fen,
        payee=reviewed.payee, payee_id=reviewed.payee_id, paid_on=cmd.paid_on,
        entries=postings.paid(region, postings.employer(reviewed.payee_id),
                              reviewed.amount_fen))]


def decide(book: ClaimBook, facts: WorkerFacts, refs: References, cmd: Command,
           calendar: WorkCalendar) -> list[Event]:
    """Any claim command: the one of `decide_*` for its type."""
    if isinstance(cmd, FileBenefitClaim):
        return decide_file(book, facts, refs, cmd, calendar)
    if isinstance(cmd, SubmitBenefitClaimDocuments):
        return decide_documents(book, cmd, calendar)
    if isinstance(cmd, ReviewBenefitClaim):
        return decide_review(book, facts, refs, cmd, calendar)
    if isinstance(cmd, PayBenefitClaim):
        return decide_pay(book, facts, cmd)
    raise TypeError(f"not a benefit claim command: {type(cmd).__name__}")
