"""Benefits' audit trail: every fact, claim, payment and refusal, with who and about what."""

from __future__ import annotations

from contracts import topics
from contracts.audit import Subjects, named
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.audit_trail import AuditTrail

SERVICE = "benefits"


def subjects(event: Envelope[Message]) -> Subjects:
    """Facts, claims and payments name their worker (and claim); a run's summary is about
    no one worker (its key is the run's month, no subject)."""
    return named(event.payload)


AUDIT = AuditTrail(f"{SERVICE}_audit",
                   (topics.BENEFIT_EVENTS, topics.BENEFIT_DEADLETTERS), subjects)
