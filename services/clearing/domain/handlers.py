"""The ledger's handler maps: an input and the ledger's state -> `Decision` (the at most one
`clearing-events` event, our signed claim to another province, the agency's answer).

Pure: the shared runner (`contracts.runtime.runner`) sends the records. A settlement for
another province's insured worker treated here also yields our signed claim to that
province on `gateway-outbound` — every time the settlement is delivered, byte for byte the
same (derived id, the settlement's business time, deterministic Ed25519), so a claim lost
between the ledger write and the send is re-sent on redelivery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import benefits as b
from contracts import envelope
from contracts import settlement as s
from contracts.clearing import LEDGER_KEY
from contracts.decision import Decision, Outgoing, acknowledge
from contracts.envelope import Envelope
from contracts.gateway import GatewayClaimAnswered
from contracts.message import Message
from contracts.topics import CLEARING_EVENTS, CLEARING_REPLIES, GATEWAY_OUTBOUND
from services.clearing.domain import outbound
from services.clearing.domain.authorization import authorized
from services.clearing.domain.decide import COMMANDS, decide
from services.clearing.domain.ledger import evolve
from services.clearing.domain.state import ClearingState, Policy

SOURCE = "clearing"
GATEWAY_SOURCE = "clearing-gateway"


@dataclass(frozen=True)
class LedgerContext:
    policy: Policy
    signing_key: Ed25519PrivateKey | None  # None (tests only): our claims are not sent
    key_id: str


def post(state: ClearingState, env: Envelope[Message], ctx: LedgerContext, actor_id: str = ""
         ) -> Decision[ClearingState]:
    """A money event, an accepted gateway claim or an answer to ours, onto the ledger."""
    event = decide(state, ctx.policy, env.payload, env.event_id, actor_id)
    if event is None:
        return Decision(events=our_claim(env, ctx))  # also when already on the ledger
    [derived] = envelope.derive(env, [event], key=LEDGER_KEY, source=SOURCE)
    return Decision(events=[Outgoing(CLEARING_EVENTS, derived), *our_claim(env, ctx)],
                    state=evolve(state, event, env.event_id))


def answer_command(state: ClearingState, env: Envelope[Message], ctx: LedgerContext
                   ) -> Decision[ClearingState]:
    """An agency's clearing command (prepayments, cycles, refusals) from staff who may send
    it (issue 16), answered to them."""
    if env.event_id in state.seen:
        decision = post(state, env, ctx)  # already on the ledger: answered again, unchanged
    else:
        decision = post(state, env, ctx, authorized(state, env).id)
    ledger = [o for o in decision.events if o.topic is CLEARING_EVENTS]  # not our claims out
    return Decision(events=decision.events,
                    replies=[acknowledge(env, ledger, CLEARING_REPLIES, SOURCE)],
                    state=decision.state)


def our_claim(env: Envelope[Message], ctx: LedgerContext) -> list[Outgoing]:
    if not isinstance(env.payload, s.EncounterSettled) or ctx.signing_key is None:
        return []
    signed = outbound.claim_for(env.payload, env.event_id, env.occurred_at,
                                ctx.policy.home_province)
    if signed is None:
        return []
    claim = outbound.sign(signed, ctx.signing_key, ctx.key_id)
    [out] = envelope.derive(env, [claim], key=signed.destination_province,
                            source=GATEWAY_SOURCE, salt=outbound.CLAIM_SALT)
    return [Outgoing(GATEWAY_OUTBOUND, out)]


Handler = Callable[[ClearingState, Envelope[Message], LedgerContext], Decision[ClearingState]]
MONEY_EVENT_HANDLERS: dict[type[Message], Handler] = {
    m: post for m in (s.EncounterSettled, s.SettlementReversed, s.ClaimPaid, s.AdvanceGranted,
                      s.AdvanceOffset, s.EmployerReceivableRaised)}
"""settlement-events that move money; settlement's other facts pass the ledger by."""
BENEFIT_MONEY = (b.BenefitClaimPaid, b.MonthlyBenefitPaid, b.MonthlyBenefitReversed)
BENEFIT_PAYMENT_HANDLERS: dict[type[Message], Handler] = {m: post for m in BENEFIT_MONEY}
"""benefits-events that move money (issue 19); facts, claims and runs pass the ledger by."""
GATEWAY_ANSWER_HANDLERS: dict[type[Message], Handler] = {GatewayClaimAnswered: post}
COMMAND_HANDLERS: dict[type[Message], Handler] = {m: answer_command for m in COMMANDS}
