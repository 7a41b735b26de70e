"""The benefits service's decision state: every worker's facts and claims, and the payment
history of the monthly runs (待遇台账), folded from `benefits-events`.

One state for the whole service (one partition, `contracts.topics.BENEFIT_COMMANDS`): the
monthly run reads every worker at once, and the volume — a few facts per worker a year, one
run a month — is far below what one partition carries. `evolve(book, envelope)` is the only
place it changes; a restart rebuilds it from `benefits-events` in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from contracts import benefits as b
from contracts.envelope import Envelope
from contracts.message import Message
from services.benefits.domain import claim_state, facts, payment_run
from services.benefits.domain.claim_state import ClaimBook
from services.benefits.domain.facts import WorkerFacts
from services.benefits.domain.payment_run import PaymentHistory

CLAIM_EVENTS = (b.BenefitClaimFiled, b.BenefitClaimDocumentsReceived, b.BenefitClaimCompleted,
                b.BenefitClaimReviewed, b.BenefitClaimPaid)
RUN_EVENTS = (b.MonthlyBenefitPaid, b.MonthlyBenefitReversed, b.PaymentRunCompleted)


@dataclass(frozen=True)
class Worker:
    """What is known about one worker: the facts, the one-time claims, and who reviewed
    each claim (the four-eyes check of its payment)."""

    facts: WorkerFacts
    claims: ClaimBook
    reviewers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls, worker_id: str) -> Worker:
        return cls(WorkerFacts(worker_id), ClaimBook(worker_id))

    @property
    def insured_region(self) -> str | None:
        injury = self.facts.injury
        return injury.insured_region if injury is not None else None


@dataclass(frozen=True)
class BenefitsBook:
    workers: Mapping[str, Worker] = field(default_factory=dict)
    history: PaymentHistory = field(default_factory=PaymentHistory)
    seen: frozenset[uuid.UUID] = frozenset()  # inputs decided (causation ids)

    def worker(self, worker_id: str) -> Worker:
        return self.workers.get(worker_id) or Worker.new(worker_id)


def evolve(book: BenefitsBook, env: Envelope[Message]) -> BenefitsBook:
    """The book after one recorded `benefits-events` event."""
    msg = env.payload
    seen = book.seen if env.causation_id is None else book.seen | {env.causation_id}
    if isinstance(msg, RUN_EVENTS):
        return replace(book, history=payment_run.recorded(book.history, msg), seen=seen)
    worker_id = getattr(msg, "worker_id", None)
    if worker_id is None:
        return replace(book, seen=seen)
    worker = book.worker(worker_id)
    if isinstance(msg, b.FACTS):
        worker = replace(worker, facts=facts.evolve(worker.facts, msg))
    elif isinstance(msg, CLAIM_EVENTS):
        worker = replace(worker, claims=claim_state.evolve(worker.claims, msg))
        if isinstance(msg, b.BenefitClaimReviewed) and env.actor is not None:
            worker = replace(worker, reviewers={**worker.reviewers,
                                                msg.claim_id: env.actor.id})
    return replace(book, workers={**book.workers, worker_id: worker}, seen=seen)
