"""Who may send a clearing command (issue 16), decided on the regions it acts in.

The role matrix is `contracts.authority`. Regions: a prepayment's insured province; a
cycle's two parties (close, settle, abort: an officer of either side; confirm, dispute,
and their item-level forms 3261/3262: of the region named); a refusal's insured side.
Four-eyes: a cycle confirmed by a region's officer, or one of its items, is settled by
someone else.
"""

from __future__ import annotations

from contracts import clearing as c
from contracts.actor import Actor
from contracts.authority import authorize, four_eyes
from contracts.decision import Rejected
from contracts.envelope import Envelope
from contracts.message import Message
from services.clearing.domain.items import item_confirmers
from services.clearing.domain.state import ClearingState


def authorized(state: ClearingState, env: Envelope[Message]) -> Actor:
    """The actor of `env`, if they may send its clearing command; else `Rejected`."""
    cmd = env.payload
    actor = authorize(env.actor, cmd, regions(state, cmd))
    if isinstance(cmd, c.SettleCycle):
        cycle = state.cycles.get(cmd.cycle_id)
        confirmers = ([*cycle.confirmers.values(), *item_confirmers(cycle)]
                      if cycle is not None else [])
        four_eyes(actor, confirmers, "settle it", "confirmed this cycle or one of its items")
    return actor


def regions(state: ClearingState, cmd: Message) -> list[str]:
    named = named_regions(cmd)
    if named is not None:
        return named
    if isinstance(cmd, c.RefuseItems):
        ref = state.settlements.get(cmd.settlement_id)
        if ref is None:
            raise Rejected("unknown_settlement",
                           f"no settlement {cmd.settlement_id} on the ledger")
        return [ref.insured_region]
    return []


def named_regions(cmd: Message) -> list[str] | None:
    """The regions a command names itself (the HTTP ingress checks them before publishing);
    None for a refusal, whose insured side only the ledger knows."""
    match cmd:
        case c.FundPrepayment():
            return [cmd.insured_province]
        case c.ConfirmCycle() | c.DisputeCycle() | c.ConfirmCycleItem() | \
                c.DisputeCycleItem() | c.RollBackCycleItem():
            return [cmd.region]
        case c.CloseCycle() | c.SettleCycle() | c.AbortCycle():
            try:
                _, a, b = c.parse_cycle_id(cmd.cycle_id)
            except ValueError as exc:
                raise Rejected("invalid_cycle_id", str(exc)) from None
            return [a, b]
    return None
