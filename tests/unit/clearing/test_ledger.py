"""The double-entry ledger: balanced postings, zero sum over a long random history, the fold."""

from __future__ import annotations

import random
import uuid
from datetime import date

import pytest

from contracts import clearing as c
from contracts.clearing import Entry, LedgerPosted
from contracts.settlement import (
    AdvanceGranted,
    AdvanceOffset,
    ClaimPaid,
    EmployerReceivableRaised,
    Payee,
    PaymentChannel,
    SettlementReversed,
)
from services.clearing.domain.ledger import UnbalancedPosting, evolve, post, total
from services.clearing.domain.state import ClearingState
from tests.unit.clearing.factories import WORKER, Book, settled

CITIES = ["370100", "370200", "370300", "370500", "370600", "371400"]
INSTITUTIONS = {c: f"H{c}00001" for c in [*CITIES, "110100", "320100"]}


def test_post_refuses_an_unbalanced_posting() -> None:
    with pytest.raises(UnbalancedPosting):
        post({}, [Entry(account="fund:370100", amount_fen=100)])


def test_a_ledger_event_with_unbalanced_entries_is_not_even_a_valid_message() -> None:
    with pytest.raises(ValueError, match="do not balance"):
        LedgerPosted(ledger_seq=0, entries=(Entry(account="a:1", amount_fen=1),),
                     kind=c.PostingKind.CLAIM_PAID, reference="x", cause_event_id=uuid.uuid4(),
                     cause_type="ClaimPaid", business_date=date(2024, 5, 1))


def _random_input(rng: random.Random, book: Book, day: date) -> object:
    kind = rng.choice(["settle", "settle", "settle", "cross", "reverse", "claim", "advance",
                       "offset", "receivable", "fund", "close", "refuse"])
    a, b = rng.sample(CITIES, 2)
    amount = rng.randint(1, 5_000_000)
    if kind == "settle":
        return settled(amount, insured=a, treatment=b, institution=INSTITUTIONS[b], on=day)
    if kind == "cross":
        foreign = rng.choice(["110100", "320100"])
        ins, treat = (a, foreign) if rng.random() < 0.5 else (foreign, a)
        return settled(amount, insured=ins, treatment=treat, institution=INSTITUTIONS[treat],
                       on=day)
    if kind == "reverse" and book.state.settlements:
        sid, ref = rng.choice(sorted(book.state.settlements.items()))
        return SettlementReversed(
            settlement_id=sid, encounter_id="E", institution_id=ref.institution_id,
            worker_id=WORKER, insured_region=ref.insured_region,
            treatment_region=ref.treatment_region, cross_provincial=ref.cross_provincial,
            reversed_on=day, fund_fen=max(ref.outstanding_fen, 0), self_fen=0, reason="fix")
    if kind == "refuse" and book.state.settlements:
        sid, ref = rng.choice(sorted(book.state.settlements.items()))
        if ref.outstanding_fen > 0:
            return c.RefuseItems(refusal_id=uuid.uuid4().hex, settlement_id=sid,
                                 amount_fen=rng.randint(1, ref.outstanding_fen),
                                 reason_code="audit", reason="x", refused_on=day)
    if kind == "claim":
        return ClaimPaid(claim_id="C", worker_id=WORKER, employer_id="E1", insured_region=a,
                         payee=Payee.EMPLOYER, channel=PaymentChannel.BANK_TRANSFER,
                         amount_fen=amount, paid_on=day)
    if kind == "advance":
        return AdvanceGranted(advance_id="A", claim_id="C", employer_id="E1", worker_id=WORKER,
                              insured_region=a, amount_fen=amount, granted_on=day)
    if kind == "offset":
        final = rng.randint(0, 6_000_000)
        return AdvanceOffset(advance_id="A", claim_id="C", employer_id="E1", worker_id=WORKER,
                             insured_region=a, advance_fen=amount, final_fen=final,
                             remainder_fen=final - amount, offset_on=day)
    if kind == "receivable":
        return EmployerReceivableRaised(receivable_id="R", employer_id="E2", worker_id=WORKER,
                                        insured_region=a, amount_fen=amount,
                                        settlement_ids=(), raised_on=day, reason="misreport")
    if kind == "fund":
        return c.FundPrepayment(prepayment_id=uuid.uuid4().hex, insured_province="370000",
                                treatment_province=rng.choice(["110000", "320000"]),
                                amount_fen=amount * 10, funded_on=day)
    return c.CloseCycle(cycle_id=c.cycle_id(f"2024-{day.month:02d}", a, b), closed_on=day)


def test_sd_fund_2_sum_over_all_accounts_is_zero_after_every_event_of_a_random_history() -> None:
    """DOMAIN §4: every movement is a balanced double entry; 1,500 random inputs."""
    rng = random.Random(20240401)
    book = Book()
    for i in range(1500):
        day = date(2024, 4 + i // 300, 1 + rng.randint(0, 27))
        book.feed(_random_input(rng, book, day))  # type: ignore[arg-type]
        assert total(book.state.balances) == 0, f"after input {i}"
    assert len(book.events) > 1000
    closed = [e for e in book.events if isinstance(e, c.ClearingCycleClosed)]
    assert closed and all(sum(n.net_fen for n in e.nets) == 0 for e in closed)


def test_the_state_is_a_pure_fold_of_the_events_and_redelivery_changes_nothing() -> None:
    book = Book()
    cause = uuid.uuid4()
    first = book.feed(settled(1000), cause)
    assert book.feed(settled(1000), cause) is None  # same cause id: already on the ledger
    assert first is not None
    rebuilt = ClearingState()
    for ev, cause_id in [(first, cause)]:
        rebuilt = evolve(rebuilt, ev, cause_id)
    assert rebuilt == book.state


def test_intra_provincial_settlement_charges_the_insured_fund_and_owes_the_institution() -> None:
    book = Book()
    ev = book.feed(settled(12_345, insured="370100", treatment="370200"))
    assert {e.account: e.amount_fen for e in ev.entries} == {
        "fund:370100": 12_345, "institution:H37020200001": -12_345}
    assert ev.cycle_id == "2024-05:370100|370200"


def test_treatment_in_the_insured_city_is_not_cleared_sd_reg_8() -> None:
    ev = Book().feed(settled(100, insured="370102", treatment="370103"))
    assert ev.cycle_id is None
