"""Our cross-provincial claims (issue 6): the treatment side claims from the insured province.
Signing over the canonical body, deterministic claims, answers applied once, forged or
misaddressed answers refused, a refused claim flowing back as a refusal (SD-FUND-3)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts import clearing as c
from contracts.decision import Rejected
from contracts.gateway import GatewayClaimSubmitted, canonical_bytes
from contracts.settlement import EncounterSettled
from services.clearing.domain import outbound
from services.clearing.domain.state import Policy
from tests.support.gateway import KEY_IDS, PUBLIC_KEYS, private_key, signed_answer
from tests.unit.clearing.factories import Book, settled

OUR_KEY_ID = KEY_IDS["370000"]  # our generated dev key
POLICY = Policy(warning_percent=30, home_province="370000", keys=PUBLIC_KEYS)
SENT = datetime(2024, 5, 10, 9, tzinfo=UTC)


def _beijing_settled(fund: int) -> EncounterSettled:
    """A Beijing-insured worker settled at a Jinan institution."""
    return settled(fund, insured="110105", treatment="370102", institution="H37010200001")


def _claim(cause: uuid.UUID, fund: int = 80_000) -> GatewayClaimSubmitted:
    signed = outbound.claim_for(_beijing_settled(fund), cause, SENT, "370000")
    assert signed is not None
    return outbound.sign(signed, private_key("370000"), OUR_KEY_ID)


def test_claim_direction_treatment_province_claims_from_the_insured_province() -> None:
    assert outbound.claim_needed("110105", "370102", "370000")  # Beijing insured, treated here
    assert not outbound.claim_needed("370102", "110105", "370000")  # ours there: they claim
    assert not outbound.claim_needed("370100", "370200", "370000")  # intra-provincial


def test_claim_is_signed_over_the_sorted_key_canonical_body_with_our_key() -> None:
    claim = _claim(uuid.uuid4())
    body = canonical_bytes(claim.signed)
    decoded = json.loads(body)
    assert list(decoded) == sorted(decoded) and decoded["destination_province"] == "110000"
    assert decoded["claim"]["fund_fen"] == 80_000 and decoded["origin_province"] == "370000"
    ours = Ed25519PublicKey.from_public_bytes(PUBLIC_KEYS["370000"][OUR_KEY_ID])
    ours.verify(base64.b64decode(claim.signature), body)  # raises if not ours


def test_a_redelivered_settlement_gives_a_byte_identical_claim() -> None:
    cause = uuid.uuid4()
    ev = _beijing_settled(80_000)
    first = outbound.sign(outbound.claim_for(ev, cause, SENT, "370000"),  # type: ignore[arg-type]
                          private_key("370000"), OUR_KEY_ID)
    again = outbound.sign(outbound.claim_for(ev, cause, SENT, "370000"),  # type: ignore[arg-type]
                          private_key("370000"), OUR_KEY_ID)
    assert canonical_bytes(first) == canonical_bytes(again)
    assert first.signed.message_id == outbound.claim_message_id(cause)


def _book_with_claim(fund: int = 80_000) -> tuple[Book, GatewayClaimSubmitted]:
    book = Book(POLICY)
    book.feed(c.FundPrepayment(prepayment_id="PP-BJ", insured_province="110000",
                               treatment_province="370000", amount_fen=1_000_000,
                               funded_on=date(2024, 5, 1)))
    cause = uuid.uuid4()
    ev = _beijing_settled(fund)
    posted = book.feed(ev, cause)
    signed = outbound.claim_for(ev, cause, SENT, "370000")
    assert signed is not None and posted.claim_message_id == signed.message_id
    return book, outbound.sign(signed, private_key("370000"), OUR_KEY_ID)


def test_an_accepted_answer_is_applied_once() -> None:
    book, claim = _book_with_claim()
    answer = signed_answer(claim, accepted=True)
    first = book.feed(answer)
    assert first.kind is c.PostingKind.CLAIM_ACCEPTED and first.entries == ()
    assert book.feed(answer) is None  # the same answer again (new envelope): nothing
    assert book.feed(signed_answer(claim, accepted=False, reason_codes=("late",))) is None
    assert book.state.balances["prepayment:110000@370000"] == 1_000_000 - 80_000


def test_forged_answer_signed_by_another_province_is_refused() -> None:
    book, claim = _book_with_claim()
    with pytest.raises(Rejected) as err:
        book.feed(signed_answer(claim, accepted=False, reason_codes=("x",), signer="320000"))
    assert err.value.code == "bad_signature"
    tampered = signed_answer(claim, accepted=True).model_copy(update={"accepted": False})
    with pytest.raises(Rejected):
        book.feed(tampered)
    assert book.feed(signed_answer(claim, accepted=True)) is not None  # still unanswered


def test_answers_to_unknown_claims_are_refused() -> None:
    book, claim = _book_with_claim()
    stranger = claim.model_copy(update={"signed": claim.signed.model_copy(
        update={"message_id": "not-a-claim-of-ours"})})
    with pytest.raises(Rejected) as err:
        book.feed(signed_answer(stranger, accepted=True))
    assert err.value.code == "unknown_claim"


def test_sd_fund_3_a_refused_claim_flows_back_in_the_next_open_cycle() -> None:
    book, claim = _book_with_claim(80_000)
    may = c.cycle_id("2024-05", "110000", "370000")
    book.feed(c.CloseCycle(cycle_id=may, closed_on=date(2024, 5, 31)))
    refusal = book.feed(signed_answer(claim, accepted=False, reason_codes=("unknown_worker",),
                                      answered_at=datetime(2024, 5, 31, 20, tzinfo=UTC)))
    assert refusal.kind is c.PostingKind.REFUSAL
    assert refusal.cycle_id == c.cycle_id("2024-06", "110000", "370000") and refusal.late is False
    assert "unknown_worker" in refusal.detail
    assert book.state.balances["prepayment:110000@370000"] == 1_000_000  # restored
    assert book.state.balances["fund:110100"] == 0
    assert book.state.cycles[refusal.cycle_id].lines[("110000", "370000", "H37010200001")
                                                     ].refused_fen == 80_000
