"""Direct settlement, corrections and claims as pure decisions over one worker's state."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from contracts import envelope, wire
from contracts.actor import Actor
from contracts.decision import Rejected
from contracts.encounter import DischargedEncounterCorrected, EncounterDischarged
from contracts.message import Message
from contracts.reference import CatalogKind
from contracts.settlement import (
    AdvanceGranted,
    AdvanceOffset,
    ClaimCompleted,
    ClaimCostKind,
    ClaimFiled,
    ClaimPaid,
    ClaimReviewed,
    ClaimSituation,
    DocumentKind,
    EmployerReceivableRaised,
    EncounterReimbursable,
    EncounterSettled,
    GrantAdvance,
    PayClaim,
    Payee,
    PaymentChannel,
    RecordInjuryNotRecognised,
    ReviewClaim,
    SettlementNoticeIssued,
    SettlementReversed,
    SubmitClaimDocuments,
)
from services.settlement.domain.documents import missing_documents, required_documents
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import handle
from tests.support.actors import acting_for
from tests.unit.settlement.factories import (
    WORKER,
    encounter,
    file_claim,
    index,
    line,
    standard_catalogs,
)

CATS = index(standard_catalogs())
T0 = datetime(2024, 5, 12, 2, tzinfo=UTC)


def env(payload: Message, at: datetime = T0, actor: Actor | None = None
        ) -> envelope.Envelope[Message]:
    """`actor`: by default staff with the role the command needs (tests.support.actors)."""
    return envelope.new(payload, key=WORKER, occurred_at=at, source="test-client",
                        event_id=uuid.uuid4(), recorded_at=at,
                        actor=actor or acting_for(payload))


def run(state: WorkerState, *payloads: Message) -> tuple[list[Any], WorkerState]:
    out: list[Any] = []
    for p in payloads:
        events, state = handle(state, env(p), CATS)
        out.extend(events)
    return out, state


def refused(state: WorkerState, payload: Message) -> str:
    with pytest.raises(Rejected) as exc:
        handle(state, env(payload), CATS)
    return exc.value.code


# --- direct settlement (SD 1(6), XM-18) ---------------------------------------------------

def test_sd_1_6_direct_settlement_at_discharge_with_notice() -> None:
    enc = encounter([line(1, 45000, qty="3")])
    events, _ = run(WorkerState(), EncounterDischarged(encounter=enc))
    settled, notice = events
    assert isinstance(settled, EncounterSettled) and isinstance(notice, SettlementNoticeIssued)
    assert settled.settlement_id == "S-H37010200001:E1-r0"
    assert (settled.fund_fen, settled.self_fen, settled.settled_on) == (30000, 15000,
                                                                        date(2024, 5, 12))
    assert notice.answer_due_on == date(2024, 5, 17)  # XM-17: 5 working days


def test_not_direct_encounter_recorded_as_reimbursable() -> None:
    events, _ = run(WorkerState(), EncounterDischarged(encounter=encounter([line(1, 100)],
                                                                           direct=False)))
    assert [type(e) for e in events] == [EncounterReimbursable]


def test_settling_an_encounter_twice_is_refused() -> None:
    _, state = run(WorkerState(), EncounterDischarged(encounter=encounter([line(1, 100)])))
    assert refused(state, EncounterDischarged(encounter=encounter([line(1, 100)]))) == \
        "already_settled"


def test_same_input_twice_changes_nothing() -> None:
    e = env(EncounterDischarged(encounter=encounter([line(1, 100)])))
    first, state = handle(WorkerState(), e, CATS)
    again, state2 = handle(state, e, CATS)
    assert first and again == [] and state2 == state


def test_sd_1_6_charge_lines_pass_settlement_by_without_changing_state() -> None:
    """SD 1(6): settlement decides at discharge; the encounter's earlier events (a charge
    line here) produce nothing and are not remembered, so its state stays as small as the
    decisions it made (the agent skips them before decoding: `DECIDED_ON`)."""
    from contracts.encounter import ChargeLineRecorded
    from services.settlement.domain.worker import DECIDED_ON

    recorded = ChargeLineRecorded(encounter_id=f"{encounter([]).encounter_id}",
                                  line=line(1, 100))
    state = WorkerState()
    events, after = handle(state, env(recorded), CATS)
    assert events == [] and after is state
    assert "ChargeLineRecorded" not in DECIDED_ON
    assert {"EncounterDischarged", "DischargedEncounterCorrected", "FileClaim"} <= DECIDED_ON


def test_xm_18_post_settlement_correction_reverses_and_resettles() -> None:
    _, state = run(WorkerState(), EncounterDischarged(encounter=encounter([line(1, 10000)])))
    corrected = encounter([line(1, 10000), line(2, 5000, code="X1",
                                                kind=CatalogKind.MEDICAL_ITEM)],
                          revision=1)
    events, state = run(state, DischargedEncounterCorrected(encounter=corrected))
    rev, settled, _notice = events
    assert isinstance(rev, SettlementReversed) and rev.settlement_id == "S-H37010200001:E1-r0"
    assert rev.fund_fen == 10000
    assert isinstance(settled, EncounterSettled) and settled.settlement_id.endswith("-r1")
    assert settled.fund_fen == 15000
    # the same revision again yields nothing new; an older one is refused
    assert run(state, DischargedEncounterCorrected(encounter=corrected))[0] == []
    stale = encounter([line(1, 1)], revision=0)
    assert refused(state, DischargedEncounterCorrected(encounter=stale)) == "stale_revision"


def test_correction_for_unknown_encounter_refused() -> None:
    assert refused(WorkerState(), DischargedEncounterCorrected(
        encounter=encounter([line(1, 1)], revision=1))) == "unknown_encounter"


def test_amount_overflow_refused() -> None:
    big = encounter([line(1, 10**13), line(2, 10**13)])
    assert refused(WorkerState(), EncounterDischarged(encounter=big)) == "amount_overflow"


def test_settlements_encode_byte_identically_on_replay() -> None:
    inputs = [env(EncounterDischarged(encounter=encounter([line(1, 45000, qty="3")])))]
    def once() -> list[bytes]:
        state, out = WorkerState(), []
        for e in inputs:
            events, state = handle(state, e, CATS)
            out += [wire.encode(d) for d in envelope.derive(e, list(events), key=WORKER,
                                                            source="settlement")]
        return out
    assert once() == once()


# --- claims (XM-9, 10, 11, 12, 16, 17, 19, 20, 21) ----------------------------------------

def test_xm_9_claim_for_unrecognised_injury_refused() -> None:
    assert refused(WorkerState(), file_claim(recognised=False)) == "injury_not_recognised"


def test_xm_9_claim_when_not_insured_on_injury_date_refused() -> None:
    assert refused(WorkerState(), file_claim(insured=False)) == "not_insured_on_injury_date"


def test_xm_10_base_checklist_and_xm_11_situation_extras() -> None:
    base = required_documents([ClaimSituation.OUTPATIENT])
    assert DocumentKind.INJURY_DETERMINATION in base
    assert DocumentKind.RECURRENCE_CONFIRMATION in required_documents([ClaimSituation.RECURRENCE])
    assert DocumentKind.LIABILITY_DECISION in required_documents([ClaimSituation.THIRD_PARTY])
    assert DocumentKind.OCCUPATIONAL_DISEASE_CERTIFICATE in required_documents(
        [ClaimSituation.OCCUPATIONAL_DISEASE])
    assert DocumentKind.TRANSFER_APPROVAL in required_documents([ClaimSituation.TRANSFER_OUT])
    assert DocumentKind.TRAVEL_RECEIPTS in required_documents([ClaimSituation.REFERRAL_COSTS])


def test_xm_12_single_item_recurrence_claim_needs_recurrence_confirmation() -> None:
    missing = missing_documents([ClaimSituation.RECURRENCE],
                                required_documents([ClaimSituation.OUTPATIENT]))
    assert missing == (DocumentKind.RECURRENCE_CONFIRMATION,)


def test_xm_16_staged_reimbursement_uses_the_staged_list() -> None:
    need = required_documents([ClaimSituation.STAGED_REIMBURSEMENT, ClaimSituation.TRANSFER_OUT])
    assert DocumentKind.CONSULTATION_RECORD in need
    assert DocumentKind.LABOUR_CAPACITY_ASSESSMENT not in need


def test_xm_10_incomplete_claim_waits_and_completes_when_documents_arrive() -> None:
    events, state = run(WorkerState(), file_claim(all_docs=False))
    assert [type(e) for e in events] == [ClaimFiled]
    assert events[0].missing_documents
    review = ReviewClaim(worker_id=WORKER, claim_id="C1", approved_fen=1,
                         reviewed_on=date(2024, 2, 6))
    assert refused(state, review) == "documents_incomplete"
    rest = tuple(d for d in DocumentKind if d in events[0].missing_documents)
    events, state = run(state, SubmitClaimDocuments(worker_id=WORKER, claim_id="C1",
                                                    documents=rest, submitted_on=date(2024, 2, 5)))
    completed = events[-1]
    assert isinstance(completed, ClaimCompleted)
    assert completed.review_due_on == date(2024, 3, 1)  # XM-17 over Spring Festival


def _reviewed(amount: int, channel: PaymentChannel, **kw: Any) -> list[Any]:
    _, state = run(WorkerState(), file_claim(amount=amount, **kw))
    return run(state, ReviewClaim(worker_id=WORKER, claim_id="C1", approved_fen=amount,
                                  reviewed_on=date(2024, 2, 6), requested_channel=channel))[0]


def test_xm_19_exactly_2000_yuan_may_be_paid_in_cash() -> None:
    [rev] = _reviewed(200_000, PaymentChannel.CASH)
    assert isinstance(rev, ClaimReviewed) and rev.channel is PaymentChannel.CASH
    assert rev.payee is Payee.EMPLOYER


def test_xm_19_one_fen_over_2000_yuan_must_go_by_bank() -> None:
    with pytest.raises(Rejected) as exc:
        _reviewed(200_001, PaymentChannel.CASH)
    assert exc.value.code == "cash_not_allowed"
    [rev] = _reviewed(200_001, PaymentChannel.BANK_TRANSFER)
    assert rev.channel is PaymentChannel.BANK_TRANSFER


def test_xm_21_one_time_benefit_by_bank_to_employer() -> None:
    [rev] = _reviewed(100, PaymentChannel.CASH, situations=(ClaimSituation.ONE_TIME_BENEFIT,),
                      kind=ClaimCostKind.ONE_TIME_BENEFIT)
    assert (rev.payee, rev.channel) == (Payee.EMPLOYER, PaymentChannel.BANK_TRANSFER)


def _advance(claimed: int, advance: int = 1_000_000) -> tuple[list[Any], WorkerState]:
    situations = (ClaimSituation.TRANSFER_OUT, ClaimSituation.STAGED_REIMBURSEMENT)
    _, state = run(WorkerState(), file_claim(amount=claimed, situations=situations))
    return run(state, GrantAdvance(worker_id=WORKER, advance_id="A1", claim_id="C1",
                                   amount_fen=advance, granted_on=date(2024, 2, 6)))


def test_xm_20_advance_refused_at_exactly_50000_yuan() -> None:
    with pytest.raises(Rejected) as exc:
        _advance(5_000_000)
    assert exc.value.code == "advance_threshold_not_met"


def test_xm_20_advance_granted_one_fen_over_and_offset_at_final_settlement() -> None:
    [granted], state = _advance(5_000_001)
    assert isinstance(granted, AdvanceGranted) and granted.amount_fen == 1_000_000
    _, state = run(state, ReviewClaim(worker_id=WORKER, claim_id="C1", approved_fen=4_000_000,
                                      reviewed_on=date(2024, 3, 1)))
    [offset], _ = run(state, PayClaim(worker_id=WORKER, claim_id="C1", paid_on=date(2024, 3, 5)))
    assert isinstance(offset, AdvanceOffset) and offset.remainder_fen == 3_000_000


def test_xm_20_advance_larger_than_final_is_recovered() -> None:
    _, state = _advance(6_000_000, advance=5_500_000)
    _, state = run(state, ReviewClaim(worker_id=WORKER, claim_id="C1", approved_fen=5_000_000,
                                      reviewed_on=date(2024, 3, 1)))
    [offset], _ = run(state, PayClaim(worker_id=WORKER, claim_id="C1", paid_on=date(2024, 3, 5)))
    assert offset.remainder_fen == -500_000


def test_xm_19_reviewed_claim_paid() -> None:
    _, state = run(WorkerState(), file_claim(amount=300_000))
    _, state = run(state, ReviewClaim(worker_id=WORKER, claim_id="C1", approved_fen=250_000,
                                      reviewed_on=date(2024, 2, 6)))
    [paid], state = run(state, PayClaim(worker_id=WORKER, claim_id="C1",
                                        paid_on=date(2024, 2, 7)))
    assert isinstance(paid, ClaimPaid) and paid.amount_fen == 250_000
    assert refused(state, PayClaim(worker_id=WORKER, claim_id="C1",
                                   paid_on=date(2024, 2, 8))) == "not_reviewed"


def test_claim_for_directly_settled_encounter_refused() -> None:
    _, state = run(WorkerState(), EncounterDischarged(encounter=encounter([line(1, 100)])))
    assert refused(state, file_claim(encounter_id="H37010200001:E1")) == "settled_directly"


def test_xm_18_clawback_of_on_account_settlements_from_misreporting_employer() -> None:
    _, state = run(WorkerState(),
                   EncounterDischarged(encounter=encounter([line(1, 10000)])),
                   EncounterDischarged(encounter=encounter([line(1, 7000)], enc_no="E2")),
                   EncounterDischarged(encounter=encounter([line(1, 900)], enc_no="E3",
                                                           on_account=False)))
    cmd = RecordInjuryNotRecognised(worker_id=WORKER, employer_id="EMP1",
                                    decided_on=date(2024, 6, 1), reason="misreported")
    [recv], state = run(state, cmd)
    assert isinstance(recv, EmployerReceivableRaised)
    assert recv.amount_fen == 17000
    assert recv.settlement_ids == ("S-H37010200001:E1-r0", "S-H37010200001:E2-r0")
    assert refused(state, cmd) == "nothing_settled_on_account"


@pytest.mark.parametrize("kind", [ClaimCostKind.TRAVEL, ClaimCostKind.LODGING,
                                  ClaimCostKind.MEAL_ALLOWANCE])
def test_sd_enc_8_referral_travel_lodging_and_meals_are_claimed_at_the_insured_place(
        kind: ClaimCostKind) -> None:
    """SD-ENC-8: a referred worker's travel, lodging and inpatient meal allowance are never
    settled directly; they are reimbursed under the insured place's rules, which ask for the
    transfer approval and the travel receipts before the claim is complete."""
    claim = file_claim(situations=(ClaimSituation.REFERRAL_COSTS,), kind=kind, amount=36_000)
    without_receipts = claim.model_copy(update={"documents": tuple(
        d for d in claim.documents if d is not DocumentKind.TRAVEL_RECEIPTS)})
    [filed], state = run(WorkerState(), without_receipts)
    assert isinstance(filed, ClaimFiled)
    assert filed.missing_documents == (DocumentKind.TRAVEL_RECEIPTS,)
    events, _ = run(state, SubmitClaimDocuments(worker_id=WORKER, claim_id="C1",
                                                documents=(DocumentKind.TRAVEL_RECEIPTS,),
                                                submitted_on=date(2024, 2, 6)))
    assert isinstance(events[-1], ClaimCompleted)
