"""Pre-settlement (预结算, national 2303/2206) in settlement's domain: the final settlement's
own adjudication on an open encounter (SD-ENC-3/4/5/6, SD 1(6) / XM-18), answered and not
recorded; and, as a property, equal to the final settlement when nothing changes between."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import envelope, topics
from contracts.encounter import CareType, EncounterDischarged, EncounterRecord
from contracts.presettlement import PreSettleEncounter, PreSettlementAnswered, PreSettlementRefused
from contracts.reference import CatalogKind
from contracts.settlement import EncounterReimbursable, EncounterSettled, LineReason
from services.settlement.domain.presettlement import (
    PRE_SETTLEMENT_HANDLERS,
    answer_pre_settlement,
    presettle,
)
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import ENCOUNTER_EVENT_HANDLERS, settle
from tests.unit.settlement.factories import BEIJING, QINGDAO, WORKER, encounter, line
from tests.unit.settlement.test_decisions import CATS

AS_OF = datetime(2024, 5, 12, 2, tzinfo=UTC)  # 10:00 in Beijing


def _open(enc: EncounterRecord) -> EncounterRecord:
    return enc.model_copy(update={"discharged_at": None})


def _request(enc: EncounterRecord, as_of: datetime = AS_OF) -> PreSettleEncounter:
    return PreSettleEncounter(encounter=_open(enc), ref_event_id=uuid.uuid4(),
                              message_id="pre-1", as_of=as_of)


def _lines() -> list[Any]:
    return [line(1, 45000, code="BED", qty="3"),  # 3 bed-days at 150 yuan, Jinan caps at 100
            line(2, 2000, code="D1", kind=CatalogKind.DRUG),  # 10% self-pay
            line(3, 700, code="NOPE", kind=CatalogKind.MEDICAL_ITEM),  # not in the catalog
            line(4, 900, code="X1", kind=CatalogKind.MEDICAL_ITEM, injury_related=False)]


def test_2303_pre_settlement_splits_each_line_into_fund_self_employer_sd_enc_5_6() -> None:
    answer = presettle(_request(encounter(_lines())), CATS)
    got = [(ln.line_no, ln.fund_fen, ln.self_fen, ln.employer_fen, ln.reasons)
           for ln in answer.lines]
    assert got == [
        (1, 30000, 15000, 0, (LineReason.OVER_STANDARD,)),  # SD-ENC-6 bed-day cap
        (2, 1800, 200, 0, (LineReason.SELF_PAY_PART,)),  # SD-ENC-6 self-pay percent
        (3, 0, 700, 0, (LineReason.NOT_IN_CATALOG,)),  # SD-ENC-6
        (4, 0, 900, 0, (LineReason.NOT_INJURY_RELATED,)),  # SD-ENC-5
    ]
    assert (answer.submitted_fen, answer.fund_fen, answer.self_fen) == (48600, 31800, 16800)
    assert answer.direct_settlement and answer.settlement_id == f"S-{answer.encounter_id}-r0"
    assert answer.settled_on == date(2024, 5, 12)


def test_2303_pre_settlement_sd_enc_3_cross_provincial_outpatient_pays_nothing() -> None:
    enc = encounter([line(1, 2000, code="D1", kind=CatalogKind.DRUG)], insured="130100",
                    care=CareType.OUTPATIENT)
    answer = presettle(_request(enc), CATS)
    assert answer.fund_fen == 0
    assert answer.lines[0].reasons == (LineReason.OUTSIDE_CROSS_PROVINCIAL_SCOPE,)


def test_2303_pre_settlement_of_an_encounter_not_settled_directly_is_what_is_reimbursable(
        ) -> None:
    answer = presettle(_request(encounter(_lines(), direct=False)), CATS)
    assert not answer.direct_settlement and answer.settlement_id is None
    assert answer.not_direct_reasons == ("institution_not_enabled",)
    assert answer.fund_fen == 31800


def test_2303_pre_settlement_records_nothing_and_answers_keyed_by_the_worker() -> None:
    request = _request(encounter(_lines()))
    env = envelope.new(request, key=WORKER, occurred_at=AS_OF, source="encounter")
    state = WorkerState()
    decision = PRE_SETTLEMENT_HANDLERS[PreSettleEncounter](state, env, CATS)
    assert decision.events == () and decision.state is None  # no event, state untouched
    [reply] = decision.replies
    assert (reply.topic, reply.envelope.key, reply.envelope.causation_id) == (
        topics.PRE_SETTLEMENT_ANSWERS, WORKER, env.event_id)
    assert isinstance(reply.envelope.payload, PreSettlementAnswered)
    assert reply.envelope.payload.ref_event_id == request.ref_event_id
    again = answer_pre_settlement(state, env, CATS)  # a redelivery: the same answer, same id
    assert again.replies[0].envelope == reply.envelope
    assert not set(PRE_SETTLEMENT_HANDLERS) & set(ENCOUNTER_EVENT_HANDLERS)


def _final(enc: EncounterRecord, discharged_at: datetime
           ) -> EncounterSettled | EncounterReimbursable:
    """What settlement records when encounter-events carries the discharge."""
    record = enc.model_copy(update={"discharged_at": discharged_at})
    env = envelope.new(EncounterDischarged(encounter=record), key=enc.worker_id,
                       occurred_at=discharged_at, source="encounter")
    decision = settle(WorkerState(), env, CATS)
    first = decision.events[0].envelope.payload
    assert isinstance(first, EncounterSettled | EncounterReimbursable)
    return first


_codes = st.sampled_from([("BED", CatalogKind.SERVICE_STANDARD), ("D1", CatalogKind.DRUG),
                          ("X1", CatalogKind.MEDICAL_ITEM), ("R1", CatalogKind.REHAB_ITEM),
                          ("DV1", CatalogKind.DEVICE), ("NOPE", CatalogKind.MEDICAL_ITEM)])


@st.composite
def _encounters(draw: st.DrawFn) -> EncounterRecord:
    lines = []
    for i in range(draw(st.integers(0, 8))):
        code, kind = draw(_codes)
        lines.append(line(i + 1, draw(st.integers(0, 10**9)), code=code, kind=kind,
                          qty=str(draw(st.decimals(min_value="0.0001", max_value="99",
                                                   places=4))),
                          on=draw(st.dates(date(2023, 12, 1), date(2024, 5, 12))),
                          injury_related=draw(st.integers(0, 5)) > 0,
                          third_party=draw(st.integers(0, 9)) == 0))
    return encounter(lines, insured=draw(st.sampled_from([QINGDAO, "130100"])),
                     treatment=draw(st.sampled_from(["370102", BEIJING])),
                     care=draw(st.sampled_from(list(CareType))),
                     third_party=draw(st.integers(0, 9)) == 0, direct=draw(st.booleans()),
                     on_account=draw(st.booleans()))


@settings(max_examples=200, deadline=None)
@given(_encounters(), st.integers(0, 13 * 60), st.integers(0, 60))
def test_2303_pre_settlement_equals_the_final_settlement_when_nothing_changes(
        enc: EncounterRecord, minutes: int, later: int) -> None:
    """Property: asked at any time of the discharge day (Beijing), the pre-settlement is the
    settlement recorded at discharge, line by line and in total (SD 1(6), SD-ENC-3…6)."""
    as_of = datetime(2024, 5, 12, tzinfo=UTC) - timedelta(hours=8) + timedelta(minutes=minutes)
    discharged_at = as_of + timedelta(minutes=later)
    answer = presettle(_request(enc, as_of), CATS)
    final = _final(enc, discharged_at)
    assert answer.lines == final.lines
    assert (answer.submitted_fen, answer.fund_fen, answer.self_fen, answer.employer_fen) == (
        final.submitted_fen, final.fund_fen, final.self_fen, final.employer_fen)
    if isinstance(final, EncounterSettled):
        assert (answer.settlement_id, answer.settled_on) == (final.settlement_id,
                                                             final.settled_on)
    else:
        assert answer.settlement_id is None and answer.settled_on == final.recorded_on


def test_2303_a_pre_settlement_the_discharge_would_refuse_is_answered_refused() -> None:
    """The final settlement refuses an encounter over MAX_FEN (`amount_overflow`); its
    pre-settlement is answered with that reason for the hospital, not only dead-lettered."""
    request = _request(encounter([line(1, 10**13), line(2, 10**13)]))
    env = envelope.new(request, key=WORKER, occurred_at=AS_OF, source="encounter")
    decision = answer_pre_settlement(WorkerState(), env, CATS)
    assert decision.events == () and decision.state is None
    [reply] = decision.replies
    answer = reply.envelope.payload
    assert (reply.topic, reply.envelope.key) == (topics.PRE_SETTLEMENT_ANSWERS, WORKER)
    assert isinstance(answer, PreSettlementRefused)
    assert (answer.reason_code, answer.ref_event_id, answer.message_id) == (
        "amount_overflow", request.ref_event_id, "pre-1")
