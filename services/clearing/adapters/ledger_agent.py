"""The ledger agent: money events, agency commands, accepted gateway claims and the answers
to OUR gateway claims, in ONE order, through the shared runner to the handler maps of
`domain/handlers.py` (each input: at most one `clearing-events` event).

Its state is the pure fold of `clearing-events` (rebuilt from offset 0 when the agent starts,
then kept in memory: this agent is the topic's only writer). A redelivered input is in
`state.seen` and changes nothing. Inputs come a batch at a time (`contracts.runtime.batching`):
decided in order, outputs handed to the producer together and awaited before faust acks the
batch; a crash before that rebuilds the state from the log and re-decides the inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import faust
from aiokafka import ConsumerRecord

from contracts import wire
from contracts.gateway import GatewayClaimAnswered
from contracts.message import Message
from contracts.runtime import faust_app
from contracts.runtime.batching import DeferredSends, InputPositions, batches
from contracts.runtime.rejection import RawRecord
from contracts.runtime.runner import OneState, PassesBy, Route, Runner, passing_by_all_but
from contracts.runtime.topic_reader import read_topic
from contracts.settings import Settings
from contracts.topics import (
    BENEFIT_EVENTS,
    CLEARING_COMMANDS,
    CLEARING_EVENTS,
    GATEWAY_INBOUND,
    GATEWAY_OUTBOUND,
    RECONCILIATION_ANSWERS,
    RECONCILIATION_REQUESTS,
    SETTLEMENT_EVENTS,
)
from services.clearing.adapters import config, records
from services.clearing.domain.handlers import (
    BENEFIT_PAYMENT_HANDLERS,
    COMMAND_HANDLERS,
    GATEWAY_ANSWER_HANDLERS,
    MONEY_EVENT_HANDLERS,
    LedgerContext,
)
from services.clearing.domain.ledger import evolve
from services.clearing.domain.reconciliation import (
    RECONCILIATION_HANDLERS,
    RECONCILIATION_KEYED_BY,
)
from services.clearing.domain.state import ClearingState

log = logging.getLogger(__name__)


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
    settled, commands, outbound, inbound, benefits, reconcile = (t.name(p) for t in (
        SETTLEMENT_EVENTS, CLEARING_COMMANDS, GATEWAY_OUTBOUND, GATEWAY_INBOUND,
        BENEFIT_EVENTS, RECONCILIATION_REQUESTS))
    names = (settled, commands, outbound, inbound, benefits, reconcile)
    source = app.topic(*names, key_type=bytes, value_type=bytes)
    gw = config.gateway()  # NotConfigured without its key files: the service does not start
    ctx = LedgerContext(config.policy(gw), gw.private_key, gw.key_id)
    deferred = DeferredSends(app)
    rejector = records.rejector(app, settings, send=deferred.send)
    # a refused answer from another province is dead-lettered, not answered on our replies
    gateway_rejector = records.rejector(app, settings, reply=None, send=deferred.send)
    # a refused reconciliation (3201/3202) is answered to the institution on its topic
    reconcile_rejector = records.rejector(app, settings, reply=RECONCILIATION_ANSWERS,
                                          send=deferred.send)
    ledger = OneState(ClearingState())
    # In memory: the ledger's own log is its checkpoint (a restart rebuilds it and re-posts
    # nothing twice, by causation id); this refetches a hole within a run.
    positions = InputPositions(app).attach(app, *names)
    runner = Runner(app, ledger, positions, deferred)

    def context(_record: RawRecord) -> LedgerContext:
        return ctx

    routes = {
        settled: Route("ledger", MONEY_EVENT_HANDLERS, rejector, context,
                                        passes_by=_passing_by_all_but(MONEY_EVENT_HANDLERS)),
        commands: Route("ledger", COMMAND_HANDLERS, rejector, context),
        benefits: Route("ledger", BENEFIT_PAYMENT_HANDLERS, rejector, context,
                        passes_by=_passing_by_all_but(BENEFIT_PAYMENT_HANDLERS)),
        outbound: Route("ledger", GATEWAY_ANSWER_HANDLERS, rejector, context,
                                       passes_by=_passing_by_all_but(GATEWAY_ANSWER_HANDLERS)),
        # institutions' reconciliation requests, answered from the ledger as it stands in
        # this order (a query: no event, no state change)
        reconcile: Route("reconcile", RECONCILIATION_HANDLERS, reconcile_rejector, context,
                         keyed_by=RECONCILIATION_KEYED_BY),
        # claims and garbage on gateway-inbound are the gateway agent's business
        inbound: Route("gateway", GATEWAY_ANSWER_HANDLERS, gateway_rejector,
                                      context, passes_by=_not_an_answer),
    }

    assignments = faust_app.Assignments(app, names)

    @app.agent(source, concurrency=1, name="post_to_ledger")
    async def post_to_ledger(stream: faust.StreamT[bytes]) -> None:
        ledger.value = await rebuild(settings)  # for the queries, before any input
        async for events in batches(stream):
            if taken := assignments.gained():  # inputs taken over: the ledger may have moved on
                await positions.resume_from_group(taken)
                ledger.value = await rebuild(settings)
            await runner.run(events, routes)


def _passing_by_all_but(handlers: Mapping[type[Message], object]) -> PassesBy:
    return passing_by_all_but(m.message_type for m in handlers)


def _not_an_answer(value: bytes | None) -> bool:
    try:
        return value is None or not isinstance(wire.decode(value).payload,
                                               GatewayClaimAnswered)
    except wire.WireError:
        return True
