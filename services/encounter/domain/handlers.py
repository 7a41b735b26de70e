"""The handler map: one hospital message in, a `Decision` out — the records to send and the
next state (pure: the shared runner, `contracts.runtime.runner`, does the Kafka part).

Checks the envelope against the payload (the sender may only speak for its own institution,
the key must be the worker), settles resends, asks the domain, and shapes the replies:
`AdmissionAnswered` for an admission, `MessageAccepted` otherwise, both keyed by the
sender's `source` (`hospital:<institution_id>`, the same key the Rejector uses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contracts import topics
from contracts.decision import Decision, Outgoing, Rejected
from contracts.encounter import AdmissionAnswered, EncounterAdmitted, RequestPreSettlement
from contracts.envelope import Envelope, derive
from contracts.message import Message
from contracts.registration import WorkerCoverage
from contracts.replies import MessageAccepted
from services.encounter.domain.encounter import (
    HOSPITAL_MESSAGES,
    HospitalMessage,
    already_answered,
    check_source,
    decide,
    evolve,
    is_resend,
    remember,
)
from services.encounter.domain.presettlement import ask_settlement
from services.encounter.domain.reference_book import ReferenceBook
from services.encounter.domain.state import WorkerState

SOURCE = topics.Writer.ENCOUNTER.value


@dataclass(frozen=True)
class Context:
    """What a hospital message is decided against besides the worker's encounters."""

    coverage: WorkerCoverage | None  # registration's snapshot of the worker, if any
    book: ReferenceBook  # institutions, pilot cities, catalogs (effective-dated)


def check_envelope(env: Envelope[Message]) -> HospitalMessage:
    """Only hospital messages, only for the sender's own institution (the runner checks they
    are keyed by the worker: `BY_WORKER`)."""
    cmd = env.payload
    if not isinstance(cmd, HOSPITAL_MESSAGES):
        raise Rejected("unexpected_type", f"{env.type} is not a hospital message")
    check_source(env.source, cmd)
    return cmd


def answer_hospital_message(state: WorkerState, env: Envelope[Message], ctx: Context
                            ) -> Decision[WorkerState]:
    cmd = check_envelope(env)
    if is_resend(state, cmd) and already_answered(state, env.event_id):
        return Decision()  # redelivered: answered when it was decided
    if is_resend(state, cmd):
        ack = MessageAccepted(ref_event_id=env.event_id, ref_type=env.type,
                              detail=f"duplicate of message_id {cmd.message_id}: nothing changed")
        [reply] = derive(env, [ack], key=env.source, source=SOURCE, salt="reply-duplicate")
        return Decision(replies=[Outgoing(topics.HOSPITAL_REPLIES, reply)])
    events = decide(state, cmd, ctx.coverage, ctx.book)
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
    return Decision(events=[Outgoing(topics.ENCOUNTER_EVENTS, e) for e in recorded],
                    replies=[Outgoing(topics.HOSPITAL_REPLIES, reply)],
                    state=remember(after, cmd, env.event_id))


Handler = Callable[[WorkerState, Envelope[Message], Context], Decision[WorkerState]]
HANDLERS: dict[type[Message], Handler] = {
    **{m: answer_hospital_message for m in HOSPITAL_MESSAGES},
    RequestPreSettlement: ask_settlement,
}
"""Every hospital message that records goes the same way; a pre-settlement (2303/2206) is
asked of settlement (`presettlement.py`); another type on hospital-messages is refused
`unexpected_type` by the runner."""
