"""Clearing cycles (SD-FUND-2), refusals (SD-FUND-3) and prepayments (SD-FUND-1)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from contracts import clearing as c
from contracts.decision import Rejected
from tests.unit.clearing.factories import Book, settled

MAY = c.cycle_id("2024-05", "370100", "370200")
JUNE = c.cycle_id("2024-06", "370100", "370200")


def _close(book: Book, cid: str = MAY) -> Any:
    return book.feed(c.CloseCycle(cycle_id=cid, closed_on=date(2024, 6, 1)))


def test_sd_fund_2_close_nets_both_directions_and_nets_sum_to_zero() -> None:
    book = Book()
    book.feed(settled(700, insured="370100", treatment="370200"))
    book.feed(settled(300, insured="370200", treatment="370100", institution="H37010000001"))
    closed = _close(book)
    assert isinstance(closed, c.ClearingCycleClosed)
    assert {n.party: n.net_fen for n in closed.nets} == {"370100": -400, "370200": 400}


def test_sd_fund_2_closing_twice_changes_nothing() -> None:
    book = Book()
    book.feed(settled(700))
    _close(book)
    before = book.state
    assert _close(book) is None and book.state == before


def test_sd_fund_2_a_late_settlement_goes_to_the_next_open_cycle() -> None:
    book = Book()
    _close(book)
    late = book.feed(settled(500, on=date(2024, 5, 30)))
    assert (late.cycle_id, late.late) == (JUNE, True)


def test_sd_fund_2_settle_needs_both_confirmations_then_pays_institutions() -> None:
    book = Book()
    book.feed(settled(700))
    _close(book)
    with pytest.raises(Rejected) as exc:
        book.feed(c.SettleCycle(cycle_id=MAY, settled_on=date(2024, 6, 5)))
    assert exc.value.code == "cycle_not_confirmed"
    for region in ("370100", "370200"):
        book.feed(c.ConfirmCycle(cycle_id=MAY, region=region, confirmed_on=date(2024, 6, 2)))
    done = book.feed(c.SettleCycle(cycle_id=MAY, settled_on=date(2024, 6, 5)))
    assert {e.account: e.amount_fen for e in done.entries} == {
        "institution:H37020200001": 700, "agency:370100": -700}
    assert book.state.balances["institution:H37020200001"] == 0


def test_a_disputed_cycle_aborted_rolls_its_lines_into_the_next() -> None:
    book = Book()
    book.feed(settled(700))
    _close(book)
    book.feed(c.DisputeCycle(cycle_id=MAY, region="370100", reason="amounts",
                             disputed_on=date(2024, 6, 2)))
    aborted = book.feed(c.AbortCycle(cycle_id=MAY, reason="dispute", aborted_on=date(2024, 6, 3)))
    assert aborted.rolled_into == JUNE
    closed = _close(book, JUNE)
    assert {n.party: n.net_fen for n in closed.nets} == {"370100": -700, "370200": 700}


def test_sd_fund_3_refusal_flows_back_through_the_next_cycle_never_editing() -> None:
    book = Book()
    ev = book.feed(settled(700, sid="S-1"))
    _close(book)
    refusal = book.feed(c.RefuseItems(refusal_id="R1", settlement_id="S-1", amount_fen=200,
                                      reason_code="not_in_catalog", reason="SD-ENC-6",
                                      refused_on=date(2024, 6, 10)))
    assert refusal.cycle_id == JUNE and ev.cycle_id == MAY
    assert book.state.cycles[MAY].lines[("370100", "370200", "H37020200001")].refused_fen == 0
    assert book.state.cycles[JUNE].lines[("370100", "370200", "H37020200001")].refused_fen == 200
    with pytest.raises(Rejected) as exc:
        book.feed(c.RefuseItems(refusal_id="R2", settlement_id="S-1", amount_fen=501,
                                reason_code="x", reason="x", refused_on=date(2024, 6, 10)))
    assert exc.value.code == "refusal_exceeds_settlement"


def test_sd_fund_1_draw_below_warning_requests_top_up_once_and_overdraft_is_flagged() -> None:
    book = Book()
    book.feed(c.FundPrepayment(prepayment_id="P1", insured_province="110000",
                               treatment_province="370000", amount_fen=10_000,
                               funded_on=date(2024, 5, 1)))
    first = book.feed(settled(7_500, insured="110105", treatment="370102"))
    assert first.prepayment.below_warning and first.prepayment.top_up_requested_fen == 7_500
    second = book.feed(settled(3_000, insured="110105", treatment="370102"))
    assert second.prepayment.overdrawn and second.prepayment.top_up_requested_fen == 0
    assert second.prepayment.balance_fen == -500  # recorded, never refused


def test_sd_fund_1_prepayment_told_twice_is_posted_once() -> None:
    book = Book()
    cmd = c.FundPrepayment(prepayment_id="P1", insured_province="370000",
                           treatment_province="110000", amount_fen=1, funded_on=date(2024, 5, 1))
    assert book.feed(cmd) is not None and book.feed(cmd) is None
