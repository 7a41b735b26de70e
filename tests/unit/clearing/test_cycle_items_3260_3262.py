"""Item-level clearing confirmation (national 3260 detail / 3261 confirm / 3262 roll-back)
in clearing's domain: a cycle knows which settlements it holds; each region confirms or
disputes them one by one; a confirmation is rolled back until the cycle settles; an open
item dispute holds the cycle (`items_disputed`, naming the settlements), and replaying
the ledger's events from nothing rebuilds the same items and marks."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import clearing as c
from contracts.actor import Actor, Role
from contracts.decision import Rejected
from contracts.message import Message
from contracts.settlement import SettlementReversed
from services.clearing.adapters.audit import subjects
from services.clearing.domain.handlers import COMMAND_HANDLERS, MONEY_EVENT_HANDLERS
from services.clearing.domain.ledger import evolve
from services.clearing.domain.state import ClearingState, ItemStatus
from tests.support.actors import staff
from tests.support.audit import env as audit_env
from tests.unit.clearing.factories import WORKER, settled
from tests.unit.clearing.test_handler_map import CTX, env

JINAN, QINGDAO = "370100", "370200"
CYCLE = c.cycle_id("2024-05", JINAN, QINGDAO)
NEXT = c.cycle_id("2024-06", JINAN, QINGDAO)
JINAN_A = staff(Role.CLEARING_OFFICER, "jinan.a", regions=(JINAN,))
JINAN_B = staff(Role.CLEARING_OFFICER, "jinan.b", regions=(JINAN,))
QINGDAO_A = staff(Role.CLEARING_OFFICER, "qingdao.a", regions=(QINGDAO,))
SETTLER = staff(Role.CLEARING_OFFICER, "province.settler", regions=("370000",))
ON = date(2024, 6, 2)


class Ledger:
    """The ledger agent's handlers, keeping every event they post (to replay them)."""

    def __init__(self) -> None:
        self.state = ClearingState()
        self.log: list[tuple[Message, object]] = []

    def feed(self, msg: Message, actor: Actor | None = None) -> None:
        e = env(msg, "agency" if actor else "settlement", actor)
        handlers = COMMAND_HANDLERS if actor else MONEY_EVENT_HANDLERS
        decision = handlers[type(msg)](self.state, e, CTX)
        for out in decision.events:
            self.log.append((out.envelope.payload, e.event_id))
        if decision.state is not None:
            self.state = decision.state

    def refused(self, msg: Message, actor: Actor) -> Rejected:
        with pytest.raises(Rejected) as refusal:
            COMMAND_HANDLERS[type(msg)](self.state, env(msg, "agency", actor), CTX)
        return refusal.value


def closed_cycle() -> Ledger:
    book = Ledger()
    for sid, fen in (("S-1", 10_000), ("S-2", 20_000), ("S-3", 30_000)):
        book.feed(settled(fen, sid=sid))
    book.feed(c.CloseCycle(cycle_id=CYCLE, closed_on=date(2024, 6, 1)), SETTLER)
    return book


def confirm(sid: str, region: str = JINAN) -> c.ConfirmCycleItem:
    return c.ConfirmCycleItem(cycle_id=CYCLE, settlement_id=sid, region=region,
                              confirmed_on=ON)


def dispute(sid: str, region: str = JINAN) -> c.DisputeCycleItem:
    return c.DisputeCycleItem(cycle_id=CYCLE, settlement_id=sid, region=region,
                              reason="not our worker", disputed_on=ON)


def roll_back(sid: str, region: str = JINAN) -> c.RollBackCycleItem:
    return c.RollBackCycleItem(cycle_id=CYCLE, settlement_id=sid, region=region,
                               reason="confirmed by mistake", rolled_back_on=ON)


def whole(region: str) -> c.ConfirmCycle:
    return c.ConfirmCycle(cycle_id=CYCLE, region=region, confirmed_on=ON)


SETTLE = c.SettleCycle(cycle_id=CYCLE, settled_on=date(2024, 6, 5))


def test_3260_a_cycle_holds_each_settlement_with_its_fund_amount() -> None:
    """SD-FUND-2 / 3260: the cycle's items are its settlements; a later reversal is an
    item (negative) of the cycle of its own date."""
    book = closed_cycle()
    items = book.state.cycles[CYCLE].items
    assert {sid: i.amount_fen for sid, i in items.items()} == {
        "S-1": 10_000, "S-2": 20_000, "S-3": 30_000}
    assert {(i.debtor, i.creditor, i.institution_id) for i in items.values()} == {
        (JINAN, QINGDAO, "H37020200001")}
    book.feed(SettlementReversed(
        settlement_id="S-2", encounter_id="E-1", institution_id="H37020200001",
        worker_id=WORKER, insured_region=JINAN, treatment_region=QINGDAO,
        cross_provincial=False, reversed_on=date(2024, 6, 3), fund_fen=20_000, self_fen=0,
        reason="wrong patient"))
    assert book.state.cycles[NEXT].items["S-2"].amount_fen == -20_000
    assert book.state.cycles[CYCLE].items["S-2"].amount_fen == 20_000  # never edited


def test_3261_items_confirmed_one_by_one_and_a_repeat_changes_nothing() -> None:
    book = closed_cycle()
    book.feed(confirm("S-1"), JINAN_A)
    before = len(book.log)
    book.feed(confirm("S-1"), JINAN_A)
    assert len(book.log) == before
    mark = book.state.cycles[CYCLE].marks[("S-1", JINAN)]
    assert mark.status is ItemStatus.CONFIRMED and mark.by == JINAN_A.id


def test_3261_an_item_dispute_holds_settlement_naming_the_settlements() -> None:
    """A cycle with an open item dispute cannot settle; the refusal names them."""
    book = closed_cycle()
    book.feed(dispute("S-2"), JINAN_A)
    book.feed(dispute("S-3", QINGDAO), QINGDAO_A)
    refusal = book.refused(SETTLE, SETTLER)
    assert refusal.code == "items_disputed"
    assert "S-2" in refusal.reason and "S-3" in refusal.reason and "S-1" not in refusal.reason


def test_3261_a_region_disputing_items_cannot_confirm_the_whole_cycle() -> None:
    book = closed_cycle()
    book.feed(dispute("S-2"), JINAN_A)
    refusal = book.refused(whole(JINAN), JINAN_A)
    assert refusal.code == "items_disputed" and "S-2" in refusal.reason
    book.feed(whole(QINGDAO), QINGDAO_A)  # the other side is not held by Jinan's dispute


def test_3261_confirming_a_disputed_item_resolves_it_and_the_cycle_settles() -> None:
    book = closed_cycle()
    book.feed(dispute("S-2"), JINAN_A)
    book.feed(confirm("S-2"), JINAN_B)
    book.feed(whole(JINAN), JINAN_A)
    book.feed(whole(QINGDAO), QINGDAO_A)
    book.feed(SETTLE, SETTLER)
    assert book.state.cycles[CYCLE].status.value == "settled"


def test_3262_a_confirmation_is_rolled_back_until_the_cycle_settles() -> None:
    book = closed_cycle()
    book.feed(confirm("S-1"), JINAN_A)
    book.feed(roll_back("S-1"), JINAN_A)
    assert ("S-1", JINAN) not in book.state.cycles[CYCLE].marks
    assert book.refused(roll_back("S-1"), JINAN_A).code == "item_not_confirmed"
    book.feed(confirm("S-1"), JINAN_A)
    book.feed(whole(JINAN), JINAN_B)
    book.feed(whole(QINGDAO), QINGDAO_A)
    book.feed(SETTLE, SETTLER)
    assert book.refused(roll_back("S-1"), JINAN_A).code == "cycle_settled"


def test_3261_items_of_other_cycles_other_regions_and_open_cycles_are_refused() -> None:
    book = closed_cycle()
    assert book.refused(confirm("S-9"), JINAN_A).code == "unknown_item"
    assert book.refused(confirm("S-1", "370300"), JINAN_A).code in (
        "not_a_party", "forbidden_region")
    assert book.refused(confirm("S-1"), QINGDAO_A).code == "forbidden_region"
    other = c.ConfirmCycleItem(cycle_id=NEXT, settlement_id="S-1", region=JINAN,
                               confirmed_on=ON)
    assert book.refused(other, JINAN_A).code == "unknown_cycle"


def test_3261_four_eyes_who_confirmed_an_item_does_not_settle_the_cycle() -> None:
    book = closed_cycle()
    province = staff(Role.CLEARING_OFFICER, "province.a", regions=("370000",))
    book.feed(confirm("S-1"), province)
    book.feed(whole(JINAN), JINAN_A)
    book.feed(whole(QINGDAO), QINGDAO_A)
    assert book.refused(SETTLE, province).code == "four_eyes"
    book.feed(SETTLE, SETTLER)


def test_an_aborted_cycle_carries_its_items_not_their_marks_into_the_next() -> None:
    book = closed_cycle()
    book.feed(dispute("S-2"), JINAN_A)
    book.feed(c.AbortCycle(cycle_id=CYCLE, reason="S-2 disputed",
                           aborted_on=date(2024, 6, 4)), SETTLER)
    nxt = book.state.cycles[NEXT]
    assert set(nxt.items) == {"S-1", "S-2", "S-3"} and not nxt.marks


def test_replaying_the_ledger_from_offset_0_rebuilds_items_and_marks() -> None:
    book = closed_cycle()
    book.feed(confirm("S-1"), JINAN_A)
    book.feed(dispute("S-2"), JINAN_A)
    book.feed(confirm("S-3", QINGDAO), QINGDAO_A)
    book.feed(roll_back("S-3", QINGDAO), QINGDAO_A)
    replayed = ClearingState()
    for event, cause in book.log:
        replayed = evolve(replayed, event, cause)  # type: ignore[arg-type]
    assert replayed.cycles == book.state.cycles
    assert replayed.settlements == book.state.settlements


def test_3261_an_item_event_names_its_cycle_and_settlement_in_the_audit_trail() -> None:
    ev = c.ClearingItemDisputed(ledger_seq=9, cycle_id=CYCLE, settlement_id="S-2",
                                region=JINAN, reason="x", disputed_on=ON)
    got = subjects(audit_env(ev, "ledger"))
    assert (got.cycle_id, got.settlement_id) == (CYCLE, "S-2")
