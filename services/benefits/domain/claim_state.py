"""A worker's benefit claims, rebuilt from their events (`evolve` is the only change)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date

from contracts.benefits import (
    BenefitClaimCompleted,
    BenefitClaimDocumentsReceived,
    BenefitClaimFiled,
    BenefitClaimKind,
    BenefitClaimPaid,
    BenefitClaimReviewed,
    BenefitDocument,
)
from contracts.message import Message
from contracts.settlement import ClaimStatus
from services.benefits.domain.workdays import DueDate


@dataclass(frozen=True)
class BenefitClaim:
    filed: BenefitClaimFiled
    documents: tuple[BenefitDocument, ...]
    missing: tuple[BenefitDocument, ...]
    completed: BenefitClaimCompleted | None = None
    reviewed: BenefitClaimReviewed | None = None
    paid: BenefitClaimPaid | None = None

    @property
    def claim_id(self) -> str:
        return self.filed.claim_id

    @property
    def kind(self) -> BenefitClaimKind:
        return self.filed.kind

    @property
    def status(self) -> ClaimStatus:
        if self.paid is not None:
            return ClaimStatus.PAID
        if self.reviewed is not None:
            return ClaimStatus.REVIEWED
        return ClaimStatus.COMPLETE if self.completed is not None else ClaimStatus.INCOMPLETE

    def due(self) -> DueDate | None:
        """XM-17: the date the claim's next step is due (review, then payment), if any."""
        if self.status is ClaimStatus.COMPLETE and self.completed is not None:
            return DueDate(self.completed.review_due_on, self.completed.calendar_estimated)
        if self.status is ClaimStatus.REVIEWED and self.reviewed is not None:
            return DueDate(self.reviewed.payment_due_on, self.reviewed.calendar_estimated)
        return None

    def overdue(self, as_of: date) -> bool:
        """XM-17 on `as_of`: its due day has passed with the step not done (the due day
        itself is in time); an incomplete claim's clock has not started."""
        due = self.due()
        return due is not None and as_of > due.on


@dataclass(frozen=True)
class ClaimBook:
    worker_id: str
    claims: tuple[BenefitClaim, ...] = ()

    def get(self, claim_id: str) -> BenefitClaim | None:
        return next((c for c in self.claims if c.claim_id == claim_id), None)

    def of_kind(self, kind: BenefitClaimKind, dependant_id: str | None = None
                ) -> tuple[BenefitClaim, ...]:
        return tuple(c for c in self.claims
                     if c.kind is kind and c.filed.dependant_id == dependant_id)

    def paid_fen(self, kind: BenefitClaimKind) -> int:
        return sum(c.paid.amount_fen for c in self.claims if c.kind is kind and c.paid)


def _change(book: ClaimBook, claim_id: str, change: Callable[[BenefitClaim], BenefitClaim]
            ) -> ClaimBook:
    return replace(book, claims=tuple(change(c) if c.claim_id == claim_id else c
                                      for c in book.claims))


def evolve(book: ClaimBook, event: Message) -> ClaimBook:
    if isinstance(event, BenefitClaimFiled):
        claim = BenefitClaim(event, event.documents, event.missing_documents)
        return replace(book, claims=(*book.claims, claim))
    if isinstance(event, BenefitClaimDocumentsReceived):
        received = event
        return _change(book, event.claim_id, lambda c: replace(
            c, documents=c.documents + received.documents,
            missing=received.missing_documents))
    if isinstance(event, BenefitClaimCompleted):
        done = event
        return _change(book, event.claim_id, lambda c: replace(c, completed=done))
    if isinstance(event, BenefitClaimReviewed):
        review = event
        return _change(book, event.claim_id, lambda c: replace(c, reviewed=review))
    if isinstance(event, BenefitClaimPaid):
        paid = event
        return _change(book, event.claim_id, lambda c: replace(c, paid=paid))
    raise TypeError(f"not a benefit claim event: {type(event).__name__}")


def fold(worker_id: str, events: Iterable[Message]) -> ClaimBook:
    book = ClaimBook(worker_id)
    for event in events:
        book = evolve(book, event)
    return book
