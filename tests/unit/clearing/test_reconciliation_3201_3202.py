"""Institution reconciliation (对总账 3201 / 对明细账 3202) in clearing's domain: an
institution's totals for a period or a cycle against the ledger's — match or mismatch —
and, on its detail, each settlement that differs with its reason codes; only its own."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from pydantic import ValidationError

from contracts import clearing as c
from contracts import topics
from contracts.decision import Rejected
from contracts.reconciliation import (
    DiffReason,
    InstitutionItem,
    ReconcileInstitution,
    ReconciliationAnswered,
    ReconciliationScope,
    Totals,
)
from contracts.settlement import SettlementReversed
from services.clearing.domain.reconciliation import (
    WicItem,
    answer,
    compare,
    differences,
    totals,
)
from services.clearing.domain.state import ClearingState
from tests.unit.clearing.factories import WORKER, Book, settled
from tests.unit.clearing.test_handler_map import env

HOSPITAL = "H37020200001"
MAY = ReconciliationScope(from_date=date(2024, 5, 1), to_date=date(2024, 5, 31))
CYCLE = c.cycle_id("2024-05", "370100", "370200")


def item(sid: str, medical: int, fund: int) -> InstitutionItem:
    return InstitutionItem(settlement_id=sid, medical_fen=medical, fund_fen=fund)


def request(scope: ReconciliationScope, items: list[InstitutionItem] | None = None,
            count: int = 0, medical: int = 0, fund: int = 0,
            institution: str = HOSPITAL) -> ReconcileInstitution:
    if items is not None:
        count, medical = len(items), sum(i.medical_fen for i in items)
        fund = sum(i.fund_fen for i in items)
    return ReconcileInstitution(
        request_id="R-1", institution_id=institution, scope=scope, items=items,
        totals=Totals(settlement_count=count, medical_fen=medical, fund_fen=fund))


def ledger() -> ClearingState:
    """Three May settlements of the hospital (medical 1.5 × fund), one reversed; one of
    another hospital; one in June."""
    book = Book()
    for sid, fund, on, inst in (("S-1", 10_000, date(2024, 5, 3), HOSPITAL),
                                ("S-2", 20_000, date(2024, 5, 10), HOSPITAL),
                                ("S-3", 30_000, date(2024, 5, 20), HOSPITAL),
                                ("S-X", 40_000, date(2024, 5, 20), "H37020200009"),
                                ("S-6", 50_000, date(2024, 6, 2), HOSPITAL)):
        book.feed(settled(fund, sid=sid, on=on, institution=inst, medical=fund * 3 // 2))
    book.feed(SettlementReversed(
        settlement_id="S-3", encounter_id="E-1", institution_id=HOSPITAL, worker_id=WORKER,
        insured_region="370100", treatment_region="370200", cross_provincial=False,
        reversed_on=date(2024, 5, 25), fund_fen=30_000, self_fen=0, reason="duplicate"))
    return book.state


def ask(state: ClearingState, req: ReconcileInstitution,
        source: str = f"hospital:{HOSPITAL}") -> ReconciliationAnswered:
    decision = answer(state, env(req, source))
    [out] = decision.replies
    assert out.topic is topics.RECONCILIATION_ANSWERS and decision.state is None
    assert isinstance(out.envelope.payload, ReconciliationAnswered)
    return out.envelope.payload


def test_3201_totals_of_a_period_match_leaving_out_reversed_settlements() -> None:
    got = ask(ledger(), request(MAY, count=2, medical=45_000, fund=30_000))
    assert got.transaction == "3201" and got.result == "match"
    assert got.wic == Totals(settlement_count=2, medical_fen=45_000, fund_fen=30_000)


def test_3201_a_fen_off_is_a_mismatch_with_wic_figures() -> None:
    got = ask(ledger(), request(MAY, count=2, medical=45_000, fund=30_001))
    assert got.result == "mismatch" and got.wic.fund_fen == 30_000
    assert got.institution.fund_fen == 30_001 and got.differences == ()


def test_3201_by_clearing_cycle_counts_the_cycle_items_of_the_institution() -> None:
    got = ask(ledger(), request(ReconciliationScope(cycle_id=CYCLE), count=2,
                                medical=45_000, fund=30_000))
    assert got.result == "match"


def test_3202_detail_names_each_differing_settlement_with_its_reasons() -> None:
    got = ask(ledger(), request(MAY, [
        item("S-1", 15_000, 10_000),  # agrees
        item("S-2", 30_000, 19_999),  # fund differs
        item("S-3", 45_000, 30_000),  # reversed in wic
        item("S-6", 75_000, 50_000),  # June: outside the period
        item("S-7", 100, 100),  # unknown to wic
        item("S-X", 60_000, 40_000),  # another hospital's: not shown as known
    ]))
    assert got.transaction == "3202" and got.result == "mismatch"
    assert {d.settlement_id: d.reasons for d in got.differences} == {
        "S-2": (DiffReason.FUND_AMOUNT_DIFFERS,),
        "S-3": (DiffReason.REVERSED_IN_WIC,),
        "S-6": (DiffReason.OUTSIDE_SCOPE,),
        "S-7": (DiffReason.MISSING_IN_WIC,),
        "S-X": (DiffReason.MISSING_IN_WIC,),
    }
    s2 = next(d for d in got.differences if d.settlement_id == "S-2")
    assert (s2.wic_fund_fen, s2.institution_fund_fen) == (20_000, 19_999)


def test_3202_a_settlement_the_institution_left_out_is_missing_at_institution() -> None:
    got = ask(ledger(), request(MAY, [item("S-1", 15_000, 10_000)]))
    assert [(d.settlement_id, d.reasons) for d in got.differences] == [
        ("S-2", (DiffReason.MISSING_AT_INSTITUTION,))]  # S-3 is reversed: agreed absent


def test_3202_medical_total_differs_is_its_own_reason() -> None:
    ours = {"S-1": WicItem("S-1", 15_000, 10_000)}
    [d] = differences(ours, [item("S-1", 15_001, 9_999)])
    assert d.reasons == (DiffReason.MEDICAL_TOTAL_DIFFERS, DiffReason.FUND_AMOUNT_DIFFERS)


def test_3202_matching_detail_is_a_match() -> None:
    ours = {"S-1": WicItem("S-1", 15_000, 10_000), "S-3": WicItem("S-3", 1, 1, True)}
    got = compare(request(MAY, [item("S-1", 15_000, 10_000)]), ours, [], ref=uuid.uuid4(),
                  ledger_seq=7)
    assert got.result == "match" and totals(ours.values()).settlement_count == 1


def test_3201_an_institution_reconciles_only_its_own_settlements() -> None:
    with pytest.raises(Rejected) as refusal:
        ask(ledger(), request(MAY, institution="H37020200009"))
    assert refusal.value.code == "wrong_institution"


def test_3201_an_unknown_cycle_is_refused() -> None:
    with pytest.raises(Rejected) as refusal:
        ask(ledger(), request(ReconciliationScope(cycle_id="2024-01:370100|370200")))
    assert refusal.value.code == "unknown_cycle"


def test_3202_totals_must_be_the_sums_of_the_detail() -> None:
    with pytest.raises(ValidationError, match="not the items' sums"):
        ReconcileInstitution(request_id="R", institution_id=HOSPITAL, scope=MAY,
                             items=(item("S-1", 2, 1),),
                             totals=Totals(settlement_count=1, medical_fen=2, fund_fen=2))
    with pytest.raises(ValidationError, match="either"):
        ReconciliationScope(from_date=date(2024, 5, 1), to_date=date(2024, 5, 2),
                            cycle_id=CYCLE)
