"""Clearing's audit subjects: postings, cycles, and the claims inside gateway messages."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from contracts.audit import Subjects
from contracts.clearing import ClearingCycleConfirmed, LedgerPosted, PostingKind
from contracts.gateway import (
    CrossProvincialClaim,
    EncounterKind,
    GatewayClaimSubmitted,
    SignedClaim,
)
from services.clearing.adapters.audit import subjects
from tests.support.audit import env
from tests.unit.clearing.factories import WORKER


def posting(kind: PostingKind, reference: str, **kw: object) -> LedgerPosted:
    return LedgerPosted(ledger_seq=3, kind=kind, reference=reference, cause_event_id=uuid.uuid4(),
                        cause_type="X", business_date=date(2024, 5, 10), **kw)


def test_a_settlement_posting_names_settlement_institution_and_cycle_not_the_ledger_key() -> None:
    got = subjects(env(posting(PostingKind.SETTLEMENT, "S-1", settlement_id="S-1",
                               institution_id="H37020200001", cycle_id="C-2024-05"), "ledger"))
    assert got == Subjects(settlement_id="S-1", cycle_id="C-2024-05",
                           institution_id="H37020200001")


def test_a_paid_claim_posting_names_its_claim_by_reference_and_others_do_not() -> None:
    assert subjects(env(posting(PostingKind.CLAIM_PAID, "CLAIM-9"), "ledger")).claim_id == "CLAIM-9"
    assert subjects(env(posting(PostingKind.PREPAYMENT_FUNDED, "PP-1"), "ledger")).claim_id is None


def test_a_cycle_event_names_its_cycle() -> None:
    confirmed = ClearingCycleConfirmed(ledger_seq=4, cycle_id="C-1", region="370200",
                                       confirmed_on=date(2024, 6, 3))
    assert subjects(env(confirmed, "ledger")) == Subjects(cycle_id="C-1")


def test_a_gateway_claim_is_read_from_inside_its_signature() -> None:
    claim = CrossProvincialClaim(settlement_id="S-7", worker_id=WORKER, insured_region="110100",
                                 treatment_region="370200", institution_id="H37020200001",
                                 encounter_kind=EncounterKind.INPATIENT,
                                 treatment_date=date(2024, 5, 1), settled_on=date(2024, 5, 9),
                                 fund_fen=100)
    signed = SignedClaim(message_id="msg-00000001", origin_province="370000",
                         destination_province="110000",
                         sent_at=datetime(2024, 5, 9, tzinfo=UTC), claim=claim)
    submitted = GatewayClaimSubmitted(signed=signed, key_id="k1", signature="c2ln")
    assert subjects(env(submitted, "110000")) == Subjects(
        worker_id=WORKER, settlement_id="S-7", institution_id="H37020200001")
