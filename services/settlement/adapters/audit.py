"""Settlement's audit trail: every settlement and claim event and refusal, with who and
about what."""

from __future__ import annotations

from contracts import topics
from contracts.audit import Subjects, named
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.audit_trail import AuditTrail
from contracts.settlement import EmployerReceivableRaised

SERVICE = "settlement"


def subjects(event: Envelope[Message]) -> Subjects:
    """Settlement and claim events name their worker, claim, settlement, encounter and
    institution; a refused discharge carries its encounter record; a receivable raised for
    one settlement names it. The key of every topic settlement reads or writes is the
    worker id."""
    p = event.payload
    about = named(p).otherwise(named(getattr(p, "encounter", None)))
    if isinstance(p, EmployerReceivableRaised) and len(p.settlement_ids) == 1:
        about = about.otherwise(Subjects(settlement_id=p.settlement_ids[0]))
    return about.otherwise(Subjects(worker_id=event.key))


AUDIT = AuditTrail(f"{SERVICE}_audit",
                   (topics.SETTLEMENT_EVENTS, topics.SETTLEMENT_DEADLETTERS), subjects)
