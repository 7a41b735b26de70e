"""Registration's audit trail: every registration event and refusal, with who and about what."""

from __future__ import annotations

from contracts import topics
from contracts.audit import Subjects, named
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.audit_trail import AuditTrail
from services.registration import SERVICE


def subjects(event: Envelope[Message]) -> Subjects:
    """Events and commands name the worker and the registration (a referral also its
    institution); the key of every registration topic is the worker id."""
    return named(event.payload).otherwise(Subjects(worker_id=event.key))


AUDIT = AuditTrail(f"{SERVICE}_audit",
                   (topics.REGISTRATION_EVENTS, topics.REGISTRATION_DEADLETTERS), subjects)
