"""The gateway desk's handler map: an inbound claim from another province and its
province's replay state -> `Decision` (the signed answer on gateway-outbound, the state to
remember), or a refusal that is itself an answer (`Rejected.answers`: the signed refusal
goes out, the original bytes are dead-lettered for audit). Pure; the coverage look-up reads
the gateway's local table through the context.

The replay state is keyed by the claim's origin province, which must be the record's key
(the runner stores the state under it): a genuine claim replayed under another key would
otherwise meet an empty replay state.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from contracts import envelope
from contracts.actor import Actor, ActorKind, Channel
from contracts.decision import Decision, KeyedBy, Outgoing, Rejected
from contracts.envelope import Envelope
from contracts.gateway import GatewayClaimAnswered, GatewayClaimSubmitted, answer_signed_bytes
from contracts.message import Message
from contracts.registration import WorkerCoverage
from contracts.topics import GATEWAY_OUTBOUND
from services.clearing.domain import gateway as rules
from services.clearing.domain.gateway import GatewayConfig, ProvinceReplayState

SOURCE = "clearing-gateway"


@dataclass(frozen=True)
class DeskContext:
    gw: GatewayConfig
    coverage_of: Callable[[str], WorkerCoverage | None]  # our registrations, by worker id
    record_time: datetime | None  # the Kafka record's timestamp: the log's clock


def answer(env: Envelope[Message], msg: GatewayClaimSubmitted, gw: GatewayConfig,
           codes: list[str], reason: str) -> Outgoing:
    """Our signed answer to a claim: accepted, or refused with its reason codes."""
    salt = "refusal" if codes else "answer"  # a replayed copy must not reuse the id
    ans = GatewayClaimAnswered(
        message_id=str(envelope.derived_id(env.event_id, 0, salt)),
        in_reply_to=msg.signed.message_id, origin_province=gw.home_province,
        destination_province=msg.signed.origin_province, accepted=not codes,
        reason_codes=tuple(codes), reason=reason,
        claim=None if codes else msg.signed.claim, answered_at=env.occurred_at,
        key_id=gw.key_id)
    if gw.private_key is not None:
        sig = gw.private_key.sign(answer_signed_bytes(ans))
        ans = ans.model_copy(update={"signature": base64.b64encode(sig).decode()})
    [out] = envelope.derive(env, [ans], key=msg.signed.origin_province, source=SOURCE,
                            salt=salt)
    if not codes:  # its signature verified: the province is who sent it (issue 16)
        province = msg.signed.origin_province
        out = out.model_copy(update={"actor": Actor(
            id=f"province:{province}", kind=ActorKind.PROVINCE, channel=Channel.GATEWAY)})
    return Outgoing(GATEWAY_OUTBOUND, out)


def refusal_codes(msg: GatewayClaimSubmitted, state: ProvinceReplayState, ctx: DeskContext
                  ) -> list[str]:
    """Authenticity, then replay (only an authentic message may touch the replay state),
    then validity against our registrations (SD-ENC-1, SD-ENC-3); empty: accepted."""
    gw = ctx.gw
    codes = rules.authenticity(msg, gw.keys)
    if not codes:
        codes = rules.replay(msg, state, gw.window, record_time=ctx.record_time, skew=gw.skew)
    if not codes:
        codes = rules.validity(msg, ctx.coverage_of(msg.signed.claim.worker_id),
                               gw.home_province)
    return codes


def check_claim(state: ProvinceReplayState, env: Envelope[Message], ctx: DeskContext
                ) -> Decision[ProvinceReplayState]:
    msg = env.payload
    assert isinstance(msg, GatewayClaimSubmitted)
    codes = refusal_codes(msg, state, ctx)
    if codes:
        reason = f"claim {msg.signed.message_id} refused: {', '.join(codes)}"
        raise Rejected(codes[0], reason, answers=[answer(env, msg, ctx.gw, codes, reason)])
    return Decision(events=[answer(env, msg, ctx.gw, [], "accepted")],
                    state=rules.remember(state, msg, ctx.gw.window,
                                         record_time=ctx.record_time))


def leave_to_the_ledger(state: ProvinceReplayState, env: Envelope[Message], ctx: DeskContext
                        ) -> Decision[ProvinceReplayState]:
    """An answer to one of OUR claims: the ledger agent verifies and applies it."""
    return Decision()


Handler = Callable[[ProvinceReplayState, Envelope[Message], DeskContext],
                   Decision[ProvinceReplayState]]
HANDLERS: dict[type[Message], Handler] = {GatewayClaimSubmitted: check_claim,
                                          GatewayClaimAnswered: leave_to_the_ledger}
"""Anything else on gateway-inbound is refused `unexpected_type` by the runner."""


CLAIMS_KEYED_BY = KeyedBy("the claim's origin province",
                          lambda claim: claim.signed.origin_province)
"""gateway-inbound is keyed by the province a claim comes from (its replay state)."""
