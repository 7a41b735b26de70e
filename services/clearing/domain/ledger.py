"""The double-entry ledger (复式记账) and the fold that rebuilds all clearing state.

`post` is the only way balances change; it refuses an unbalanced posting, so the sum over all
accounts is zero after every event (SD-FUND-2/3, DOMAIN §4). `evolve` applies one
`clearing-events` event; folding the topic from offset 0 to N gives the state at N.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace

from contracts.clearing import (
    ClearingCycleAborted,
    ClearingCycleClosed,
    ClearingCycleConfirmed,
    ClearingCycleDisputed,
    ClearingCycleSettled,
    ClearingItemConfirmationRolledBack,
    ClearingItemConfirmed,
    ClearingItemDisputed,
    Entry,
    LedgerPosted,
    PostingKind,
)
from contracts.message import Message
from services.clearing.domain import cycles, items
from services.clearing.domain.state import ClearingState, CycleStatus, Prepayment, SettlementRef


class UnbalancedPosting(AssertionError):
    pass


def post(balances: dict[str, int], entries: Iterable[Entry]) -> dict[str, int]:
    """Apply one balanced posting; refuse (raise) an unbalanced one."""
    entries = tuple(entries)
    total = sum(e.amount_fen for e in entries)
    if total != 0:
        raise UnbalancedPosting(f"posting sums to {total} fen, not 0")
    out = dict(balances)
    for e in entries:
        out[e.account] = out.get(e.account, 0) + e.amount_fen
    return out


def total(balances: dict[str, int]) -> int:
    return sum(balances.values())


def evolve(state: ClearingState, event: Message, cause: uuid.UUID | None) -> ClearingState:
    """Fold one clearing event (in ledger order) into the state."""
    seen = state.seen.plus(cause) if cause is not None else state.seen
    state = replace(state, seq=state.seq + 1, seen=seen)
    if isinstance(event, LedgerPosted):
        return _posted(state, event)
    if isinstance(event, ClearingCycleSettled):
        state = replace(state, balances=post(state.balances, event.entries))
        return cycles.with_status(state, event.cycle_id, CycleStatus.SETTLED)
    if isinstance(event, ClearingCycleClosed):
        return cycles.with_status(state, event.cycle_id, CycleStatus.CLOSED, event.month)
    if isinstance(event, ClearingCycleConfirmed):
        return cycles.confirmed(state, event.cycle_id, event.region, event.confirmed_by)
    if isinstance(event, ClearingCycleDisputed):
        return cycles.disputed(state, event.cycle_id, event.region, event.reason)
    if isinstance(event, ClearingCycleAborted):
        return cycles.aborted(state, event.cycle_id, event.rolled_into)
    if isinstance(event, ClearingItemConfirmed | ClearingItemDisputed
                  | ClearingItemConfirmationRolledBack):
        return items.marked(state, event)
    return state


def _posted(state: ClearingState, ev: LedgerPosted) -> ClearingState:
    state = replace(state, balances=post(state.balances, ev.entries))
    if ev.prepayment is not None:
        state = _prepayment(state, ev)
    if ev.kind is PostingKind.PREPAYMENT_FUNDED:
        state = replace(state, funded=state.funded | {ev.reference})
    if ev.kind is PostingKind.REFUSAL:
        state = replace(state, refusals=state.refusals | {ev.reference})
    if ev.claim_message_id is not None and ev.settlement_id is not None:
        if ev.kind is PostingKind.SETTLEMENT:  # our claim for it went to the insured province
            state = replace(state, claims={**state.claims, ev.claim_message_id: ev.settlement_id})
        else:  # the insured province's answer to that claim was applied
            state = replace(state, answered=state.answered | {ev.claim_message_id})
    regions = ev.insured_region and ev.treatment_region
    if ev.settlement_id and ev.kind in _SETTLEMENT_KINDS and regions:
        state = _settlement(state, ev)
    if ev.cycle_id is not None and ev.insured_region and ev.treatment_region:
        amount = _fund_leg(ev)
        state = cycles.counted(state, ev.cycle_id, ev, amount)
    return state


_SETTLEMENT_KINDS = {PostingKind.SETTLEMENT, PostingKind.REVERSAL, PostingKind.GATEWAY_CLAIM,
                     PostingKind.REFUSAL}


def _fund_leg(ev: LedgerPosted) -> int:
    """The amount charged to the insured fund by this posting (> 0 cost, < 0 recovered)."""
    return sum(e.amount_fen for e in ev.entries if e.account.startswith("fund:"))


def _settlement(state: ClearingState, ev: LedgerPosted) -> ClearingState:
    assert ev.settlement_id and ev.insured_region and ev.treatment_region
    ref = state.settlements.get(ev.settlement_id)
    outstanding = (ref.outstanding_fen if ref else 0) + _fund_leg(ev)
    new = SettlementRef(ev.insured_region, ev.treatment_region, ev.institution_id or "",
                        outstanding, ev.insured_region[:2] != ev.treatment_region[:2])
    if ev.kind in (PostingKind.SETTLEMENT, PostingKind.GATEWAY_CLAIM):  # 3201/3202 figures
        new = replace(new, settled_on=ev.business_date, medical_fen=ev.medical_fen or 0,
                      fund_fen=_fund_leg(ev))
    elif ref is not None:
        new = replace(new, settled_on=ref.settled_on, medical_fen=ref.medical_fen,
                      fund_fen=ref.fund_fen,
                      reversed=ref.reversed or ev.kind is PostingKind.REVERSAL)
    return replace(state, settlements={**state.settlements, ev.settlement_id: new})


def _prepayment(state: ClearingState, ev: LedgerPosted) -> ClearingState:
    assert ev.prepayment is not None
    status = ev.prepayment
    old = state.prepayments.get(status.account, Prepayment())
    pending = (old.top_up_pending or status.top_up_requested_fen > 0) and status.below_warning
    new = Prepayment(
        funded_fen=status.funded_fen,
        high_water_fen=max(old.high_water_fen, status.balance_fen),
        top_up_pending=pending,
    )
    return replace(state, prepayments={**state.prepayments, status.account: new})
