"""Gateway agents: keep our registrations' coverage locally, and check every inbound claim.

An inbound claim is answered on `gateway-outbound` (key: the sender's province): accepted —
the ledger agent then draws it on our prepayment — or refused with reason codes, in which
case the original bytes are also dead-lettered for audit (forged, replayed, tampered,
unknown worker, not covered…). Answers to OUR claims also arrive on gateway-inbound; the
ledger agent verifies and applies them (this agent lets them pass).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime

import faust

from contracts import envelope, wire
from contracts.envelope import Envelope
from contracts.gateway import GatewayClaimAnswered, GatewayClaimSubmitted, answer_signed_bytes
from contracts.message import Message
from contracts.registration import WorkerCoverage
from contracts.runtime import faust_app, intake
from contracts.runtime.batching import as_current
from contracts.runtime.intake import Outgoing
from contracts.runtime.rejection import Rejected
from contracts.settings import Settings
from contracts.topics import GATEWAY_INBOUND, GATEWAY_OUTBOUND, REGISTRATION_COVERAGE
from services.clearing.adapters import config, records
from services.clearing.domain import gateway as rules

SOURCE = "clearing-gateway"


def _dump(state: rules.ProvinceReplayState) -> bytes:
    last = state.last_sent_at.isoformat() if state.last_sent_at else None
    return json.dumps({"last": last, "seen": {k: v.isoformat() for k, v in state.seen.items()}}
                      ).encode()


def _load(raw: bytes | None) -> rules.ProvinceReplayState:
    if not raw:
        return rules.ProvinceReplayState()
    d = json.loads(raw)
    return rules.ProvinceReplayState(
        last_sent_at=datetime.fromisoformat(d["last"]) if d["last"] else None,
        seen={k: datetime.fromisoformat(v) for k, v in d["seen"].items()})


def register(app: faust.App, settings: Settings) -> None:
    p = settings.topic_prefix
    gw = config.gateway()
    coverage = faust_app.table(app, "workers_to_coverage")
    replay = faust_app.table(app, "provinces_to_replay_state")
    rejector = records.rejector(app, settings, reply=None)
    inbound = app.topic(GATEWAY_INBOUND.name(p), key_type=bytes, value_type=bytes)
    cov_topic = app.topic(REGISTRATION_COVERAGE.name(p), key_type=bytes, value_type=bytes)

    def answer(env: Envelope[Message], msg: GatewayClaimSubmitted | None, codes: list[str],
               reason: str) -> Envelope[Message]:
        salt = "refusal" if codes else "answer"  # a replayed copy must not reuse the id
        ans = GatewayClaimAnswered(
            message_id=str(envelope.derived_id(env.event_id, 0, salt)),
            in_reply_to=msg.signed.message_id if msg else None,
            origin_province=gw.home_province,
            destination_province=msg.signed.origin_province if msg else None,
            accepted=not codes, reason_codes=tuple(codes), reason=reason,
            claim=msg.signed.claim if msg and not codes else None,
            answered_at=env.occurred_at, key_id=gw.key_id)
        if gw.private_key is not None:
            sig = gw.private_key.sign(answer_signed_bytes(ans))
            ans = ans.model_copy(update={"signature": base64.b64encode(sig).decode()})
        key = msg.signed.origin_province if msg else env.key
        [out] = envelope.derive(env, [ans], key=key, source=SOURCE, salt=salt)
        return out

    async def handle(env: Envelope[Message]) -> Sequence[Outgoing]:
        msg = env.payload
        if isinstance(msg, GatewayClaimAnswered):
            return []  # an answer to one of OUR claims: the ledger agent verifies and applies it
        if not isinstance(msg, GatewayClaimSubmitted):
            raise Rejected("unexpected_type", f"{env.type} does not belong on gateway-inbound")
        origin = msg.signed.origin_province.encode()
        state = _load(replay.get(origin))
        codes = rules.authenticity(msg, gw.keys)
        if not codes:  # only an authentic message may touch the replay state
            codes = rules.replay(msg, state, gw.window)
        if not codes:
            with as_current(None):  # keyed by worker, read for a claim keyed by province
                cov_raw = coverage.get(msg.signed.claim.worker_id.encode())
            cov = wire.decode(cov_raw).payload if cov_raw else None
            codes = rules.validity(msg, cov if isinstance(cov, WorkerCoverage) else None,
                                   gw.home_province)
        if codes:
            reason = f"claim {msg.signed.message_id} refused: {', '.join(codes)}"
            out = answer(env, msg, codes, reason)
            await rejector.send(GATEWAY_OUTBOUND.name(p), out.key.encode(), wire.encode(out))
            raise Rejected(codes[0], reason)
        replay[origin] = _dump(rules.remember(state, msg, gw.window))
        return [Outgoing(GATEWAY_OUTBOUND, answer(env, msg, [], "accepted"))]

    @app.agent(inbound, concurrency=1, name="check_gateway_claims")
    async def check_gateway_claims(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            await intake.process(records.raw(event), handle, rejector, stage="gateway")

    @app.agent(cov_topic, concurrency=1, name="keep_coverage")
    async def keep_coverage(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            key, value = event.key, event.value
            if key is None:
                continue
            if value is None:
                coverage.pop(key, None)
            else:
                coverage[key] = value

