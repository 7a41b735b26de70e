"""Commands for benefit claims and a driver that applies their events (tests only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts import benefits as b
from contracts.benefits import BenefitClaimKind as K
from contracts.message import Command, Event
from services.benefits.domain import checklists, claims
from services.benefits.domain.claim_state import ClaimBook, evolve
from services.benefits.domain.facts import WorkerFacts
from services.benefits.domain.levels import References
from tests.unit.benefits import factories as f

CALENDAR = f.official_calendar()


def file(kind: K, on: date, documents: Any = None, *, claim_id: str = "C1",
         employer_id: str | None = f.EMPLOYER, **kw: Any) -> b.FileBenefitClaim:
    docs = checklists.DISABILITY if documents is None else documents
    return b.FileBenefitClaim(worker_id=f.WORKER, claim_id=claim_id, injury_id=f.INJURY,
                              kind=kind, employer_id=employer_id, documents=tuple(docs),
                              filed_on=on, **kw)


def documents(on: date, *docs: b.BenefitDocument, claim_id: str = "C1"
              ) -> b.SubmitBenefitClaimDocuments:
    return b.SubmitBenefitClaimDocuments(worker_id=f.WORKER, claim_id=claim_id, documents=docs,
                                         submitted_on=on)


def review(on: date, claim_id: str = "C1", approved_fen: int | None = None
           ) -> b.ReviewBenefitClaim:
    return b.ReviewBenefitClaim(worker_id=f.WORKER, claim_id=claim_id, reviewed_on=on,
                                approved_fen=approved_fen)


def pay(on: date, claim_id: str = "C1") -> b.PayBenefitClaim:
    return b.PayBenefitClaim(worker_id=f.WORKER, claim_id=claim_id, paid_on=on)


def decide(book: ClaimBook, facts: WorkerFacts, refs: References, cmd: Command
           ) -> list[Event]:
    return claims.decide(book, facts, refs, cmd, CALENDAR)


def run(facts: WorkerFacts, refs: References, *cmds: Command, book: ClaimBook | None = None
        ) -> tuple[ClaimBook, list[Event]]:
    """Decide each command on the book so far and apply its events; all events in order."""
    book = book or ClaimBook(f.WORKER)
    out: list[Event] = []
    for cmd in cmds:
        events = decide(book, facts, refs, cmd)
        for event in events:
            book = evolve(book, event)
        out.extend(events)
    return book, out
