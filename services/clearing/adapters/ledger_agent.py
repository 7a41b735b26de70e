"""The ledger agent: money events, agency commands, accepted gateway claims and the answers
to OUR gateway claims, one at a time, in ONE order, each turned into at most one
`clearing-events` event.

A settlement for another province's insured worker treated here also sends our signed claim
to that province on `gateway-outbound` — every time the settlement is delivered, byte for
byte the same (derived id, the settlement's business time, deterministic Ed25519), so a
claim lost between the ledger write and the send is re-sent on redelivery.

Its state is the pure fold of `clearing-events` (rebuilt from offset 0 when the agent starts,
then kept in memory: this agent is the topic's only writer). A redelivered input is in
`state.seen` and changes nothing. Inputs come a batch at a time (`contracts.runtime.batching`):
decided in order, outputs handed to the producer together and awaited before faust acks the
batch; a crash before that rebuilds the state from the log and re-decides the inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import faust
from aiokafka import ConsumerRecord

from contracts import envelope, wire
from contracts.clearing import LEDGER_KEY
from contracts.envelope import Envelope
from contracts.gateway import GatewayClaimAnswered
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.runtime import intake
from contracts.runtime.batching import DeferredSends, InputPositions, batches
from contracts.runtime.intake import Outgoing
from contracts.runtime.rejection import Rejected, raw_record
from contracts.runtime.topic_reader import read_topic
from contracts.settings import Settings
from contracts.settlement import EncounterSettled
from contracts.topics import (
    CLEARING_COMMANDS,
    CLEARING_EVENTS,
    CLEARING_REPLIES,
    GATEWAY_INBOUND,
    GATEWAY_OUTBOUND,
    SETTLEMENT_EVENTS,
)
from services.clearing.adapters import config, records
from services.clearing.domain import outbound
from services.clearing.domain.decide import COMMANDS, decide
from services.clearing.domain.ledger import evolve
from services.clearing.domain.state import ClearingState

log = logging.getLogger(__name__)
SOURCE = "clearing"
GATEWAY_SOURCE = "clearing-gateway"


async def rebuild(settings: Settings) -> ClearingState:
    """Fold `clearing-events` from offset 0 to its end."""
    state = ClearingState()

    def fold(rec: ConsumerRecord[bytes, bytes]) -> None:
        nonlocal state
        env = wire.decode(rec.value)
        if env.causation_id is None or env.causation_id not in state.seen:
            state = evolve(state, env.payload, env.causation_id)

    await read_topic(settings.bootstrap, CLEARING_EVENTS, settings.topic_prefix, fold)
    log.warning("ledger rebuilt: %s events", state.seq)
    return state


def register(app: faust.App, settings: Settings) -> None:
    p = settings.topic_prefix
    source = app.topic(SETTLEMENT_EVENTS.name(p), CLEARING_COMMANDS.name(p),
                       GATEWAY_OUTBOUND.name(p), GATEWAY_INBOUND.name(p),
                       key_type=bytes, value_type=bytes)
    policy = config.policy()
    gw = config.gateway()
    deferred = DeferredSends(app)
    rejector = records.rejector(app, settings, send=deferred.send)
    # a refused answer from another province is dead-lettered, not answered on our replies
    gateway_rejector = records.rejector(app, settings, reply=None, send=deferred.send)
    inbound = GATEWAY_INBOUND.name(p)
    holder: dict[str, ClearingState] = {}
    # In memory: the ledger's own log is its checkpoint (a restart rebuilds it and re-posts
    # nothing twice, by causation id); this refetches a hole within a run.
    positions = InputPositions(app).attach(
        app, *(t.name(p) for t in (SETTLEMENT_EVENTS, CLEARING_COMMANDS, GATEWAY_OUTBOUND,
                                  GATEWAY_INBOUND)))

    def our_claim(env: Envelope[Message]) -> list[Outgoing]:
        if not isinstance(env.payload, EncounterSettled):
            return []
        signed = outbound.claim_for(env.payload, env.event_id, env.occurred_at,
                                    policy.home_province)
        if signed is None:
            return []
        if gw.private_key is None:
            log.error("no gateway private key: claim %s not sent", signed.message_id)
            return []
        claim = outbound.sign(signed, gw.private_key, gw.key_id)
        [out] = envelope.derive(env, [claim], key=signed.destination_province,
                                source=GATEWAY_SOURCE, salt=outbound.CLAIM_SALT)
        return [Outgoing(GATEWAY_OUTBOUND, out)]

    async def handle(env: Envelope[Message]) -> Sequence[Outgoing]:
        state = holder["state"]
        event = decide(state, policy, env.payload, env.event_id)
        out: list[Outgoing] = []
        if event is not None:
            [derived] = envelope.derive(env, [event], key=LEDGER_KEY, source=SOURCE)
            holder["state"] = evolve(state, event, env.event_id)
            out.append(Outgoing(CLEARING_EVENTS, derived))
        out += our_claim(env)  # also when already on the ledger: a redelivery re-sends it
        if isinstance(env.payload, COMMANDS):
            detail = event.message_type if event is not None else "no change (already done)"
            reply = MessageAccepted(ref_event_id=env.event_id, ref_type=env.type, detail=detail)
            [r] = envelope.derive(env, [reply], key=env.source, source=SOURCE, salt="reply")
            out.append(Outgoing(CLEARING_REPLIES, r))
        return out

    commands = CLEARING_COMMANDS.name(p)

    async def handle_command(env: Envelope[Message]) -> Sequence[Outgoing]:
        if not isinstance(env.payload, COMMANDS):  # answered, never dropped silently
            raise Rejected("unexpected_type", f"{env.type} is not a clearing command")
        return await handle(env)

    @app.agent(source, concurrency=1, name="post_to_ledger")
    async def post_to_ledger(stream: faust.StreamT[bytes]) -> None:
        holder["state"] = await rebuild(settings)
        async for events in batches(stream):
            for event in await positions.admit(events):
                record = raw_record(event)
                if record.topic == commands:
                    await intake.process(record, handle_command, rejector, stage="ledger")
                elif record.topic != inbound:
                    await intake.process(record, handle, rejector, stage="ledger")
                elif _is_answer(record.value):  # claims, garbage: the gateway agent's business
                    await intake.process(record, handle, gateway_rejector, stage="gateway")
            await deferred.delivered()
            positions.store()


def _is_answer(value: bytes | None) -> bool:
    try:
        return value is not None and isinstance(wire.decode(value).payload, GatewayClaimAnswered)
    except wire.WireError:
        return False
