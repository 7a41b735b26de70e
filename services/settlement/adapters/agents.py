"""Settlement's agents: discharges from encounter-events, claim commands and pre-settlement
requests, through the shared runner (`contracts.runtime.runner`) to the handler maps of
`domain/worker.py` and `domain/presettlement.py`.

The agents read and change the same per-worker state, so they share one runner (one batch
at a time). A batch that holds a discharge or a pre-settlement first brings the catalogs
up to date (`ReferenceStore.sync`), so the handlers themselves do no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import faust

from contracts import topics
from contracts.decision import BY_WORKER
from contracts.runtime.batching import BatchedState, DeferredSends, InputPositions, batches
from contracts.runtime.rejection import RawRecord, Rejector
from contracts.runtime.runner import Route, Runner, passing_by_all_but
from contracts.runtime.topic_reader import read_until_done
from contracts.settings import Settings
from contracts.topics import Writer
from services.settlement.adapters.reference import ReferenceStore
from services.settlement.domain.presettlement import (
    PRE_SETTLEMENT_HANDLERS,
    PRE_SETTLEMENT_KEYED_BY,
)
from services.settlement.domain.references import References
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import (
    CLAIM_COMMAND_HANDLERS,
    DECIDED_ON,
    DISCHARGES_KEYED_BY,
    ENCOUNTER_EVENT_HANDLERS,
)

log = logging.getLogger(__name__)
PASSES_BY = passing_by_all_but(DECIDED_ON)
"""Skipped before decoding: admissions, charge lines… (the domain decides nothing on them).
encounter-events has one writer, which validated them; any other version is decoded, and
dead-lettered (issue 14)."""


class Settler:
    """The runner and the three routes of settlement's agents, over one state table."""

    def __init__(self, app: faust.App, settings: Settings, table: Any,
                 store: ReferenceStore) -> None:
        self.store = store
        deferred = DeferredSends(app)  # delivered before "done" is stored
        positions = InputPositions(app, table).attach(
            app, *(t.name(settings.topic_prefix)
                   for t in (topics.ENCOUNTER_EVENTS, topics.CLAIM_COMMANDS,
                             topics.PRE_SETTLEMENT_REQUESTS)))
        self.runner = Runner(app, BatchedState(table, WorkerState.model_validate_json,
                                               _encode, WorkerState),
                             positions, deferred, tables=[table])
        prefix = settings.topic_prefix

        def catalogs(_record: RawRecord) -> References:
            return store.references

        self.discharges = Route(
            "settle-encounter", ENCOUNTER_EVENT_HANDLERS,
            Rejector(Writer.SETTLEMENT, None, prefix, deferred.send), catalogs,
            passes_by=PASSES_BY, keyed_by=DISCHARGES_KEYED_BY)
        self.claim_commands = Route(  # always decoded: their sender waits for an answer
            "claim-command", CLAIM_COMMAND_HANDLERS,
            Rejector(Writer.SETTLEMENT, topics.CLAIM_REPLIES, prefix, deferred.send), catalogs,
            keyed_by=BY_WORKER)
        self.pre_settlements = Route(  # refused: dead-lettered (encounter checked them)
            "pre-settle", PRE_SETTLEMENT_HANDLERS,
            Rejector(Writer.SETTLEMENT, None, prefix, deferred.send), catalogs,
            keyed_by=PRE_SETTLEMENT_KEYED_BY)

    async def settle(self, events: Sequence[faust.EventT]) -> None:
        await self.runner.run(events, self.discharges, prepare=self._catalogs_for)

    async def answer(self, events: Sequence[faust.EventT]) -> None:
        # claims start XM-17 clocks: the calendar read up to now first (issue 18 item 6.5)
        await self.runner.run(events, self.claim_commands, prepare=self._catalogs_for)

    async def pre_settle(self, events: Sequence[faust.EventT]) -> None:
        await self.runner.run(events, self.pre_settlements, prepare=self._catalogs_for)

    async def _catalogs_for(self, events: Sequence[Any]) -> None:
        # called only for a batch with records left to decide: on encounter-events those are
        # discharges and corrections (all else is passed by), on pre-settlement-requests
        # every record, so no second look at types
        await read_until_done(self.store.sync)


def _encode(state: WorkerState) -> bytes:
    return state.model_dump_json().encode()


def register(app: faust.App, settler: Settler, encounter_topic: faust.TopicT,
             claim_topic: faust.TopicT, pre_settlement_topic: faust.TopicT) -> None:
    @app.agent(encounter_topic, name="settle_discharged_encounters", concurrency=1)
    async def settle_discharged_encounters(stream: faust.StreamT) -> None:
        async for events in batches(stream):
            await settler.settle(events)

    @app.agent(claim_topic, name="decide_claim_commands", concurrency=1)
    async def decide_claim_commands(stream: faust.StreamT) -> None:
        async for events in batches(stream):
            await settler.answer(events)

    @app.agent(pre_settlement_topic, name="answer_pre_settlements", concurrency=1)
    async def answer_pre_settlements(stream: faust.StreamT) -> None:
        async for events in batches(stream):
            await settler.pre_settle(events)
