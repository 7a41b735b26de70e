"""Which settlements a clearing cycle holds, and each region's word on them (national
3260 detail / 3261 confirm / 3262 roll-back): the fold of the ledger's postings and item
events into `Cycle.items` and `Cycle.marks`.

A settlement is an item of every cycle one of its postings is counted in (the settlement
in its month's cycle, a later reversal or refusal in the cycle of its own date), and of
the cycle an aborted one rolls into. Marks stay with the cycle they were given in: a
cycle that rolls into another is confirmed anew there.
"""

from __future__ import annotations

from dataclasses import replace

from contracts.clearing import (
    ClearingItemConfirmationRolledBack,
    ClearingItemConfirmed,
    ClearingItemDisputed,
)
from services.clearing.domain.state import (
    ClearingState,
    Cycle,
    ItemMark,
    ItemStatus,
    ItemTotals,
    LineKey,
)


def counted(cycle: Cycle, settlement_id: str, line: LineKey, fund_amount: int, *,
            refusal: bool) -> Cycle:
    """Add one posting's fund amount to the settlement's item in `cycle`."""
    debtor, creditor, institution = line
    old = cycle.items.get(settlement_id, ItemTotals(institution, debtor, creditor))
    new = (replace(old, refused_fen=old.refused_fen - fund_amount) if refusal
           else replace(old, settled_fen=old.settled_fen + fund_amount))
    return replace(cycle, items={**cycle.items, settlement_id: new})


def carried(target: Cycle, aborted: Cycle) -> Cycle:
    """The aborted cycle's items, as they are, added to `target`'s (its marks are not)."""
    merged = dict(target.items)
    for sid, t in aborted.items.items():
        old = merged.get(sid)
        merged[sid] = t if old is None else replace(
            old, settled_fen=old.settled_fen + t.settled_fen,
            refused_fen=old.refused_fen + t.refused_fen)
    return replace(target, items=merged)


ItemEvent = ClearingItemConfirmed | ClearingItemDisputed | ClearingItemConfirmationRolledBack


def marked(state: ClearingState, ev: ItemEvent) -> ClearingState:
    """A region's confirmation, dispute or roll-back of one item."""
    cycle = state.cycles[ev.cycle_id]
    key = (ev.settlement_id, ev.region)
    marks = dict(cycle.marks)
    match ev:
        case ClearingItemConfirmed():
            marks[key] = ItemMark(ItemStatus.CONFIRMED, by=ev.confirmed_by)
        case ClearingItemDisputed():
            marks[key] = ItemMark(ItemStatus.DISPUTED, reason=ev.reason)
        case ClearingItemConfirmationRolledBack():
            marks.pop(key, None)
    cycle = replace(cycle, marks=marks)
    return replace(state, cycles={**state.cycles, cycle.cycle_id: cycle})


def item_confirmers(cycle: Cycle) -> list[str]:
    """Everyone who confirmed an item of `cycle` (four-eyes: none of them settles it)."""
    return sorted({m.by for m in cycle.marks.values()
                   if m.status is ItemStatus.CONFIRMED and m.by})
