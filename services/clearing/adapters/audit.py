"""Clearing's audit trail: every ledger event and refusal, with who and about what."""

from __future__ import annotations

from contracts import topics
from contracts.audit import Subjects, named
from contracts.clearing import LedgerPosted, PostingKind
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.audit_trail import AuditTrail

SERVICE = "clearing"


def subjects(event: Envelope[Message]) -> Subjects:
    """Postings name their settlement, institution and cycle (a paid claim's posting its
    claim, as its reference); cycle events their cycle; a refused gateway claim its
    settlement, worker and institution (inside the signed claim). The ledger's key is no
    subject."""
    p = event.payload
    about = named(p)
    if isinstance(p, LedgerPosted) and p.kind is PostingKind.CLAIM_PAID:
        about = about.otherwise(Subjects(claim_id=p.reference))
    signed = getattr(p, "signed", None)
    return about.otherwise(named(getattr(signed, "claim", None) or getattr(p, "claim", None)))


AUDIT = AuditTrail(f"{SERVICE}_audit",
                   (topics.CLEARING_EVENTS, topics.CLEARING_DEADLETTERS), subjects)
