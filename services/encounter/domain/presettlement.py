"""Pre-settlement (预结算, national 2303/2206) of an open encounter, encounter's two steps.

1. `ask_settlement` (hospital-messages): the request is checked like every hospital message
   (its own institution, an admitted encounter, not cancelled, not discharged: refusals are
   dead-lettered and answered `MessageRejected`), then settlement is asked with the
   encounter as it stands (`PreSettleEncounter` on pre-settlement-requests). Settlement owns
   the adjudication; encounter owns the open encounter's lines, so the request carries them,
   decided in log order after every message of the worker before it.
2. `hand_to_hospital` (pre-settlement-answers): settlement's answer goes to the hospital on
   hospital-replies, its causation the hospital's request, like every answer it gets; a
   refusal (`PreSettlementRefused`, e.g. `amount_overflow`) goes as `MessageRejected`.

Neither step records an event or changes the state: a pre-settlement is a question.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts import topics
from contracts.decision import Decision, Outgoing
from contracts.encounter import RequestPreSettlement, hospital_source
from contracts.envelope import Envelope, derive
from contracts.message import Message
from contracts.presettlement import (
    PreSettleEncounter,
    PreSettlementAnswered,
    PreSettlementRefused,
)
from contracts.replies import MessageRejected
from services.encounter.domain.encounter import check_source, open_encounter
from services.encounter.domain.state import WorkerState

SOURCE = topics.Writer.ENCOUNTER.value


def ask_settlement(state: WorkerState, env: Envelope[Message], ctx: Any
                   ) -> Decision[WorkerState]:
    """2303/2206: the open encounter, as it stands, to settlement; nothing recorded."""
    cmd = env.payload
    assert isinstance(cmd, RequestPreSettlement)
    check_source(env.source, cmd)
    enc = open_encounter(state, cmd)
    request = PreSettleEncounter(encounter=enc.record, ref_event_id=env.event_id,
                                 message_id=cmd.message_id, as_of=env.occurred_at)
    [asked] = derive(env, [request], key=cmd.worker_id, source=SOURCE, salt="pre-settlement")
    return Decision(events=[Outgoing(topics.PRE_SETTLEMENT_REQUESTS, asked)])


def hand_to_hospital(state: WorkerState, env: Envelope[Message], ctx: Any
                     ) -> Decision[WorkerState]:
    """Settlement's answer to the hospital that asked, keyed `hospital:<institution>`; its
    causation is the hospital's request (`ref_event_id`), so the hospital, the HTTP ingress
    and `wic verify` match it to what was sent."""
    answer = env.payload
    assert isinstance(answer, PreSettlementAnswered | PreSettlementRefused)
    told: PreSettlementAnswered | MessageRejected
    if isinstance(answer, PreSettlementRefused):  # refused as the discharge would be
        told = MessageRejected(ref_event_id=answer.ref_event_id,
                               ref_type=RequestPreSettlement.message_type,
                               reason_code=answer.reason_code, reason=answer.reason)
    else:
        told = answer
    [reply] = derive(env, [told], key=hospital_source(answer.institution_id), source=SOURCE,
                     salt="to-hospital")
    reply = reply.model_copy(update={"causation_id": answer.ref_event_id})
    return Decision(replies=[Outgoing(topics.HOSPITAL_REPLIES, reply)])


Handler = Callable[[WorkerState, Envelope[Message], Any], Decision[WorkerState]]
ANSWER_HANDLERS: dict[type[Message], Handler] = {PreSettlementAnswered: hand_to_hospital,
                                                 PreSettlementRefused: hand_to_hospital}
"""pre-settlement-answers: settlement's answers only (it is their one writer)."""
