"""Pre-settlement (预结算, national 2303/2206) through both domains, without Kafka: a hospital
admits, charges and asks; encounter asks settlement with the open encounter as it stands and
hands the answer back; nothing is recorded; the discharge then settles to the same fen.
Refusals: unknown, cancelled, discharged encounter, another institution."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest

from contracts import envelope, topics
from contracts.decision import Decision, Rejected
from contracts.encounter import (
    CancelEncounter,
    EncounterDischarged,
    RequestPreSettlement,
    hospital_source,
)
from contracts.message import Message
from contracts.presettlement import PreSettleEncounter, PreSettlementAnswered, PreSettlementRefused
from contracts.reference import CatalogKind, CatalogPublished
from contracts.replies import MessageRejected
from contracts.settlement import EncounterSettled, LineReason
from ops.reference import files_under, read_envelopes
from services.encounter.domain.handlers import HANDLERS, Context
from services.encounter.domain.presettlement import ANSWER_HANDLERS
from services.encounter.domain.state import WorkerState
from services.settlement.domain import presettlement as settlement_side
from services.settlement.domain import worker as settlement_worker
from services.settlement.domain.state import WorkerState as SettlementState
from tests.unit.encounter.samples import (
    SAMPLE,
    admission,
    at,
    charge,
    coverage,
    discharge,
    line,
    sample_book,
    worker_id,
)

W, JN, D0 = worker_id(18), "H370100001", date(2024, 6, 25)
CTX = Context(coverage(W, "370100"), sample_book())


def _catalogs() -> dict[tuple[CatalogKind, str], list[CatalogPublished]]:
    out: dict[tuple[CatalogKind, str], list[CatalogPublished]] = defaultdict(list)
    for env in read_envelopes(files_under(SAMPLE)):
        if isinstance(env.payload, CatalogPublished):
            out[(env.payload.kind, env.payload.region)].append(env.payload)
    return out


CATS = _catalogs()


def _env(cmd: Any, institution: str = JN, day: date = D0, hour: int = 11
         ) -> envelope.Envelope[Message]:
    return envelope.new(cmd, key=cmd.worker_id, occurred_at=at(day, hour),
                        source=hospital_source(institution))


def _hospital(state: WorkerState, cmd: Any, **kw: Any
              ) -> tuple[WorkerState, Decision[WorkerState]]:
    decision = HANDLERS[type(cmd)](state, _env(cmd, **kw), CTX)
    return (decision.state if decision.state is not None else state), decision


def _ask(no: str = "E1", institution: str = JN) -> RequestPreSettlement:
    return RequestPreSettlement(message_id=f"pre-{no}", institution_id=institution,
                                encounter_no=no, worker_id=W)


def _charged() -> WorkerState:
    state, _ = _hospital(WorkerState(), admission(W, JN, "E1", D0))
    for ln in (line(1, D0, "MI-001", price=2500),  # consultation, cap 30 yuan
               line(2, D0, "MI-004", price=50000),  # CT at 500 yuan, cap 450
               line(3, D0, "DR-001", kind=CatalogKind.DRUG, qty="4", price=2000)):
        state, _ = _hospital(state, charge(W, JN, "E1", ln))
    return state


def test_2303_pre_settlement_asks_settlement_with_the_open_encounter_and_records_nothing(
        ) -> None:
    state = _charged()
    env = _env(_ask())
    decision = HANDLERS[RequestPreSettlement](state, env, CTX)
    assert decision.state is None and decision.replies == ()  # nothing remembered or answered
    [asked] = decision.events
    assert asked.topic is topics.PRE_SETTLEMENT_REQUESTS  # never encounter-events
    request = asked.envelope.payload
    assert isinstance(request, PreSettleEncounter)
    assert request.encounter == state.encounters[f"{JN}:E1"].record  # the lines as they stand
    assert (request.ref_event_id, request.as_of, asked.envelope.key) == (
        env.event_id, env.occurred_at, W)


def test_2303_the_answer_reaches_the_hospital_on_hospital_replies_caused_by_its_request(
        ) -> None:
    asked = HANDLERS[RequestPreSettlement](_charged(), _env(_ask()), CTX).events[0].envelope
    answered = settlement_side.answer_pre_settlement(SettlementState(), asked, CATS)
    [to_settlement] = answered.replies
    decision = ANSWER_HANDLERS[PreSettlementAnswered](WorkerState(), to_settlement.envelope,
                                                      None)
    assert decision.events == () and decision.state is None
    [reply] = decision.replies
    assert (reply.topic, reply.envelope.key) == (topics.HOSPITAL_REPLIES, hospital_source(JN))
    assert reply.envelope.causation_id == asked.payload.ref_event_id  # type: ignore[attr-defined]
    assert reply.envelope.payload == to_settlement.envelope.payload


def test_2303_pre_settlement_equals_the_final_settlement_of_the_unchanged_encounter() -> None:
    """SD 1(6), SD-ENC-6: the split the hospital shows the worker is what discharge settles."""
    state = _charged()
    asked = HANDLERS[RequestPreSettlement](state, _env(_ask(), hour=11), CTX).events[0]
    answer = settlement_side.answer_pre_settlement(
        SettlementState(), asked.envelope, CATS).replies[0].envelope.payload
    assert isinstance(answer, PreSettlementAnswered)
    assert [(ln.fund_fen, ln.self_fen, ln.reasons) for ln in answer.lines] == [
        (2500, 0, ()), (45000, 5000, (LineReason.OVER_STANDARD,)), (8000, 0, ())]
    _, discharged = _hospital(state, discharge(W, JN, "E1", D0))
    [event] = [o.envelope for o in discharged.events
               if isinstance(o.envelope.payload, EncounterDischarged)]
    settled = settlement_worker.settle(SettlementState(), event, CATS).events[0].envelope.payload
    assert isinstance(settled, EncounterSettled)
    assert settled.lines == answer.lines and settled.settlement_id == answer.settlement_id
    assert (settled.submitted_fen, settled.fund_fen, settled.self_fen, settled.employer_fen) == (
        answer.submitted_fen, answer.fund_fen, answer.self_fen, answer.employer_fen)


def _refusal(state: WorkerState, cmd: RequestPreSettlement, institution: str = JN) -> str:
    with pytest.raises(Rejected) as refused:
        HANDLERS[RequestPreSettlement](state, _env(cmd, institution=institution), CTX)
    return refused.value.code


def test_2303_pre_settlement_refusals_name_why() -> None:
    state = _charged()
    assert _refusal(state, _ask("NOPE")) == "encounter_not_admitted"  # unknown encounter
    # another institution's encounter: the credential's institution is not the message's …
    assert _refusal(state, _ask(), institution="H370100002") == "wrong_institution"
    # … and under its own institution id the encounter number is not one of its own
    assert _refusal(state, _ask(institution="H370100002"),
                    institution="H370100002") == "encounter_not_admitted"
    discharged, _ = _hospital(state, discharge(W, JN, "E1", D0))
    assert _refusal(discharged, _ask()) == "encounter_discharged"  # closed: settled already
    cancelled, _ = _hospital(state, CancelEncounter(
        message_id="c-1", institution_id=JN, encounter_no="E1", worker_id=W, reason="error"))
    assert _refusal(cancelled, _ask()) == "encounter_cancelled"


def test_2303_a_refused_pre_settlement_reaches_the_hospital_as_message_rejected() -> None:
    """Settlement refuses what the discharge would be refused (`amount_overflow`); the
    hospital gets MessageRejected to its own request, on hospital-replies."""
    asked = HANDLERS[RequestPreSettlement](_charged(), _env(_ask()), CTX).events[0].envelope
    request = asked.payload
    assert isinstance(request, PreSettleEncounter)
    refusal = PreSettlementRefused(
        ref_event_id=request.ref_event_id, message_id=request.message_id,
        encounter_id=request.encounter.encounter_id, institution_id=JN, worker_id=W,
        reason_code="amount_overflow", reason="over MAX_FEN")
    [answered] = envelope.derive(asked, [refusal], key=W, source="settlement", salt="t")
    decision = ANSWER_HANDLERS[PreSettlementRefused](WorkerState(), answered, None)
    assert decision.events == () and decision.state is None
    [reply] = decision.replies
    told = reply.envelope.payload
    assert (reply.topic, reply.envelope.key) == (topics.HOSPITAL_REPLIES, hospital_source(JN))
    assert isinstance(told, MessageRejected)
    assert (told.ref_event_id, told.ref_type, told.reason_code) == (
        request.ref_event_id, "RequestPreSettlement", "amount_overflow")
    assert reply.envelope.causation_id == request.ref_event_id
