"""The ledger's one entry point: an input (money event, agency command or accepted gateway
claim) and the state → the at most one `clearing-events` event it causes.

One input, one event: an input is either fully on the ledger or not at all, so a redelivered
input is recognised by its id (`state.seen`) and changes nothing.
"""

from __future__ import annotations

import uuid

from contracts import benefits as b
from contracts import clearing as c
from contracts import settlement as s
from contracts.gateway import GatewayClaimAnswered
from contracts.message import Message
from services.clearing.domain import commands, item_commands, outbound, postings
from services.clearing.domain.state import ClearingState, Policy

COMMANDS = (c.FundPrepayment, c.CloseCycle, c.ConfirmCycle, c.DisputeCycle, c.SettleCycle,
            c.AbortCycle, c.RefuseItems, c.ConfirmCycleItem, c.DisputeCycleItem,
            c.RollBackCycleItem)


def decide(state: ClearingState, policy: Policy, msg: Message,
           cause: uuid.UUID, actor_id: str = "") -> Message | None:
    """`actor_id`: who sent a command (authenticated; recorded on a cycle's confirmation)."""
    if cause in state.seen:
        return None
    match msg:
        case s.EncounterSettled():
            posted = postings.settled(state, policy, msg, cause)
            if outbound.claim_needed(msg.insured_region, msg.treatment_region,
                                     policy.home_province):  # we claim it from their gateway
                posted = posted.model_copy(
                    update={"claim_message_id": outbound.claim_message_id(cause)})
            return posted
        case s.SettlementReversed():
            return postings.reversed_(state, policy, msg, cause)
        case s.ClaimPaid():
            return postings.claim_paid(state, msg, cause)
        case b.BenefitClaimPaid() | b.MonthlyBenefitPaid() | b.MonthlyBenefitReversed():
            return postings.benefit(state, msg, cause)
        case s.AdvanceGranted():
            return postings.advance_granted(state, msg, cause)
        case s.AdvanceOffset():
            return postings.advance_offset(state, msg, cause)
        case s.EmployerReceivableRaised():
            return postings.receivable(state, msg, cause)
        case GatewayClaimAnswered() if msg.origin_province != policy.home_province:
            return outbound.apply_answer(state, policy, msg, cause)  # their answer to our claim
        case GatewayClaimAnswered(accepted=True, claim=claim) if claim is not None:
            if claim.settlement_id in state.settlements:
                return None  # the same settlement claimed again under a new message id
            return postings.gateway_claim(state, policy, claim, cause)
        case c.FundPrepayment():
            return commands.fund_prepayment(state, policy, msg, cause)
        case c.CloseCycle():
            return commands.close_cycle(state, msg)
        case c.ConfirmCycle():
            return commands.confirm_cycle(state, msg, actor_id)
        case c.DisputeCycle():
            return commands.dispute_cycle(state, msg)
        case c.SettleCycle():
            return commands.settle_cycle(state, msg)
        case c.AbortCycle():
            return commands.abort_cycle(state, msg)
        case c.RefuseItems():
            return commands.refuse_items(state, policy, msg, cause)
        case c.ConfirmCycleItem():
            return item_commands.confirm_item(state, msg, actor_id)
        case c.DisputeCycleItem():
            return item_commands.dispute_item(state, msg)
        case c.RollBackCycleItem():
            return item_commands.roll_back_item(state, msg)
    return None  # not a money event: other settlement facts do not touch the ledger
