"""Encounter's audit trail: every encounter event and refusal, with who and about what."""

from __future__ import annotations

from contracts import topics
from contracts.audit import Subjects, named
from contracts.encounter import encounter_id
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.audit_trail import AuditTrail

SERVICE = "encounter"


def subjects(event: Envelope[Message]) -> Subjects:
    """The encounter (a discharge carries the whole record), its institution and worker.
    A hospital's message names its encounter by number (`encounter_id` makes the id); an
    encounter id begins with its institution's id; the key is the worker id."""
    p = event.payload
    about = named(p).otherwise(named(getattr(p, "encounter", None)))
    number, institution = getattr(p, "encounter_no", None), about.institution_id
    if about.encounter_id is None and isinstance(number, str) and institution is not None:
        about = about.otherwise(Subjects(encounter_id=encounter_id(institution, number)))
    if about.institution_id is None and about.encounter_id and ":" in about.encounter_id:
        about = about.otherwise(Subjects(institution_id=about.encounter_id.split(":", 1)[0]))
    return about.otherwise(Subjects(worker_id=event.key))


AUDIT = AuditTrail(f"{SERVICE}_audit",
                   (topics.ENCOUNTER_EVENTS, topics.ENCOUNTER_DEADLETTERS), subjects)
