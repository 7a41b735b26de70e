"""Item-level clearing confirmation (national 3261 confirm / dispute, 3262 roll-back):
a region's word on one settlement of a closed cycle, one event per command.

How it combines with the whole-cycle confirmation (docs/assumptions.md, "Item-level
confirmation"): items are confirmed or disputed one by one, as the insured side works
through the detail; a cycle still settles on both regions' whole-cycle confirmation, but
not while any item is disputed (`items_disputed`, naming the settlements), and a region
that disputes items cannot confirm the whole cycle until it resolves them (by confirming
those items). A confirmation can be rolled back until the cycle settles.
"""

from __future__ import annotations

from contracts.clearing import (
    ClearingItemConfirmationRolledBack,
    ClearingItemConfirmed,
    ClearingItemDisputed,
    ConfirmCycleItem,
    DisputeCycleItem,
    RollBackCycleItem,
    parse_cycle_id,
)
from contracts.decision import Rejected
from services.clearing.domain.state import ClearingState, Cycle, CycleStatus, ItemStatus


def _item_of(state: ClearingState, cid: str, sid: str, region: str, *,
             settled_refusal: bool = False) -> Cycle:
    """The closed cycle `cid` of which `region` is a party and `sid` an item."""
    try:
        _, a, b = parse_cycle_id(cid)
    except ValueError as exc:
        raise Rejected("invalid_cycle_id", str(exc)) from None
    cycle = state.cycles.get(cid)
    if cycle is None:
        raise Rejected("unknown_cycle", f"cycle {cid} has no postings and was never closed")
    if settled_refusal and cycle.status is CycleStatus.SETTLED:
        raise Rejected("cycle_settled", f"cycle {cid} is settled: funds have moved, a "
                       "confirmation can no longer be rolled back (3262)")
    if cycle.status is not CycleStatus.CLOSED:
        raise Rejected("cycle_not_closed", f"cycle {cid} is {cycle.status.value}, not closed")
    if region not in (a, b):
        raise Rejected("not_a_party", f"region {region} is not a party to cycle {cid}")
    if sid not in cycle.items:
        raise Rejected("unknown_item", f"settlement {sid} is not an item of cycle {cid}")
    return cycle


def confirm_item(state: ClearingState, cmd: ConfirmCycleItem, by: str = ""
                 ) -> ClearingItemConfirmed | None:
    """3261: confirming an item the region already confirmed changes nothing; confirming
    one it disputed resolves the dispute."""
    cycle = _item_of(state, cmd.cycle_id, cmd.settlement_id, cmd.region)
    mark = cycle.marks.get((cmd.settlement_id, cmd.region))
    if mark is not None and mark.status is ItemStatus.CONFIRMED:
        return None
    return ClearingItemConfirmed(ledger_seq=state.seq, cycle_id=cmd.cycle_id,
                                 settlement_id=cmd.settlement_id, region=cmd.region,
                                 confirmed_on=cmd.confirmed_on, confirmed_by=by)


def dispute_item(state: ClearingState, cmd: DisputeCycleItem) -> ClearingItemDisputed | None:
    """3261 (dispute): the same dispute told twice changes nothing."""
    cycle = _item_of(state, cmd.cycle_id, cmd.settlement_id, cmd.region)
    mark = cycle.marks.get((cmd.settlement_id, cmd.region))
    if mark is not None and mark.status is ItemStatus.DISPUTED and mark.reason == cmd.reason:
        return None
    return ClearingItemDisputed(ledger_seq=state.seq, cycle_id=cmd.cycle_id,
                                settlement_id=cmd.settlement_id, region=cmd.region,
                                reason=cmd.reason, disputed_on=cmd.disputed_on)


def roll_back_item(state: ClearingState, cmd: RollBackCycleItem
                   ) -> ClearingItemConfirmationRolledBack:
    """3262: only a confirmation is rolled back, and only before the cycle settles."""
    cycle = _item_of(state, cmd.cycle_id, cmd.settlement_id, cmd.region, settled_refusal=True)
    mark = cycle.marks.get((cmd.settlement_id, cmd.region))
    if mark is None or mark.status is not ItemStatus.CONFIRMED:
        raise Rejected("item_not_confirmed", f"region {cmd.region} has not confirmed "
                       f"settlement {cmd.settlement_id} in cycle {cmd.cycle_id}: nothing to "
                       "roll back")
    return ClearingItemConfirmationRolledBack(
        ledger_seq=state.seq, cycle_id=cmd.cycle_id, settlement_id=cmd.settlement_id,
        region=cmd.region, reason=cmd.reason, rolled_back_on=cmd.rolled_back_on)


def refuse_if_disputed(cycle: Cycle, region: str | None, act: str) -> None:
    """`items_disputed` naming the settlements with an open item dispute (3261)."""
    open_ = cycle.disputed_items(region)
    if open_:
        shown = ", ".join(open_[:20]) + (f" … ({len(open_)} in all)" if len(open_) > 20 else "")
        who = f"region {region}" if region else "a region"
        raise Rejected("items_disputed", f"cycle {cycle.cycle_id} cannot {act}: {who} "
                       f"disputes settlements {shown}")
