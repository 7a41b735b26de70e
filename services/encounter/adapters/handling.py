"""One hospital message in, the records to send and the next state out (no Kafka here).

Checks the envelope against the payload (the sender may only speak for its own institution,
the key must be the worker), settles resends, asks the domain, and shapes the replies:
`AdmissionAnswered` for an admission, `MessageAccepted` otherwise, both keyed by the
sender's `source` (`hospital:<institution_id>`, the same key the Rejector uses).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import topics
from contracts.encounter import AdmissionAnswered, EncounterAdmitted, hospital_source
from contracts.envelope import Envelope, derive
from contracts.message import Message
from contracts.registration import WorkerCoverage
from contracts.replies import MessageAccepted
from contracts.runtime.intake import Outgoing
from contracts.runtime.rejection import Rejected
from services.encounter.domain.encounter import (
    HOSPITAL_MESSAGES,
    HospitalMessage,
    already_answered,
    decide,
    evolve,
    is_resend,
    remember,
)
from services.encounter.domain.reference_book import ReferenceBook
from services.encounter.domain.state import WorkerState

SOURCE = topics.Writer.ENCOUNTER.value


@dataclass(frozen=True)
class Outcome:
    outgoing: list[Outgoing]
    state: WorkerState | None  # None: nothing to store (a resend)


def check_envelope(env: Envelope[Message]) -> HospitalMessage:
    """Only hospital messages, only for the sender's own institution, keyed by the worker."""
    cmd = env.payload
    if not isinstance(cmd, HOSPITAL_MESSAGES):
        raise Rejected("unexpected_type", f"{env.type} is not a hospital message")
    if env.source != hospital_source(cmd.institution_id):
        raise Rejected("wrong_institution",
                       f"source {env.source!r} may not write for institution {cmd.institution_id}"
                       f" (expected source {hospital_source(cmd.institution_id)!r})")
    if env.key != cmd.worker_id:
        raise Rejected("key_mismatch", f"the message key must be the worker id {cmd.worker_id}")
    return cmd


def handle(env: Envelope[Message], state: WorkerState, coverage: WorkerCoverage | None,
           book: ReferenceBook) -> Outcome:
    cmd = check_envelope(env)
    if is_resend(state, cmd) and already_answered(state, cmd, env.event_id):
        return Outcome([], None)  # redelivered: answered when it was decided
    if is_resend(state, cmd):
        ack = MessageAccepted(ref_event_id=env.event_id, ref_type=env.type,
                              detail=f"duplicate of message_id {cmd.message_id}: nothing changed")
        [reply] = derive(env, [ack], key=env.source, source=SOURCE, salt="reply-duplicate")
        return Outcome([Outgoing(topics.HOSPITAL_REPLIES, reply)], None)
    events = decide(state, cmd, coverage, book)
    after = state
    for event in events:
        after = evolve(after, event)
    answer: Message
    first = events[0]
    if isinstance(first, EncounterAdmitted):
        answer = AdmissionAnswered(encounter_id=first.encounter_id, message_id=cmd.message_id,
                                   direct_settlement=first.direct_settlement,
                                   not_direct_reasons=first.not_direct_reasons)
    else:
        answer = MessageAccepted(ref_event_id=env.event_id, ref_type=env.type,
                                 detail=", ".join(e.message_type for e in events))
    recorded = derive(env, list(events), key=cmd.worker_id, source=SOURCE)
    [reply] = derive(env, [answer], key=env.source, source=SOURCE, salt="reply")
    out = [Outgoing(topics.ENCOUNTER_EVENTS, e) for e in recorded]
    out.append(Outgoing(topics.HOSPITAL_REPLIES, reply))
    return Outcome(out, remember(after, cmd, env.event_id))
