"""Faust agents: decode -> domain (`worker.handle`) -> send, via `contracts.runtime.intake`.

Both agents change the same per-worker state, so one lock serialises them (decide, send,
then store). Each takes a batch of records at a time (`contracts.runtime.batching`): decided
in log order, a later record of a worker seeing the state the earlier ones left, all outputs
handed to the producer together. The state is stored only after the batch's outputs were
delivered: a crash in between re-decides the inputs and re-sends byte-identical envelopes
(deterministic ids), which every consumer deduplicates; storing first would lose the outputs.
The catalogs are brought up to date once per batch that holds a discharge.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import faust

from contracts import topics, wire
from contracts.encounter import DischargedEncounterCorrected, EncounterDischarged
from contracts.envelope import Envelope, derive
from contracts.message import Message, registered
from contracts.replies import MessageAccepted
from contracts.runtime import faust_app
from contracts.runtime.batching import (
    BatchedState,
    DeferredSends,
    InputPositions,
    as_current,
    batches,
)
from contracts.runtime.intake import Outgoing, process
from contracts.runtime.rejection import Rejected, Rejector, raw_record
from contracts.settings import Settings
from contracts.topics import Writer
from services.settlement.adapters.reference import ReferenceStore
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import CLAIM_HANDLERS, DECIDED_ON, handle

SOURCE = Writer.SETTLEMENT.value
PASSED_BY = frozenset((t, v) for t, v in registered() if t not in DECIDED_ON)
"""(type, version) pairs the agents skip before decoding (the domain would return nothing).
encounter-events has one writer, which validated them; any other version is decoded, and
dead-lettered (issue 14)."""


class Settler:
    """Holds what the agents share: the state table, the catalogs, the lock, the rejectors."""

    def __init__(self, app: faust.App, settings: Settings, table: Any,
                 store: ReferenceStore) -> None:
        self.app, self.table, self.store = app, table, store
        self.lock = asyncio.Lock()
        self._changelog_ok = False
        self.deferred = DeferredSends(app)  # delivered before "done" is stored
        self.states = BatchedState(table, WorkerState.model_validate_json, _encode, WorkerState)
        self.positions = InputPositions(app, table).attach(
            app, *(t.name(settings.topic_prefix)
                   for t in (topics.ENCOUNTER_EVENTS, topics.CLAIM_COMMANDS)))
        prefix = settings.topic_prefix
        self.quiet = Rejector(Writer.SETTLEMENT, None, prefix, self.deferred.send)
        self.replying = Rejector(Writer.SETTLEMENT, topics.CLAIM_REPLIES, prefix,
                                 self.deferred.send)

    async def changelog_ready(self) -> None:
        if not self._changelog_ok:
            await faust_app.changelogs_ready(self.app, [self.table])
            self._changelog_ok = True

    async def run(self, events: Sequence[faust.EventT], stage: str, reply: bool) -> None:
        async with self.lock:
            synced = Synced()
            for event in await self.positions.admit(events):
                if not reply and wire.peek_kind(event.value) in PASSED_BY:
                    continue  # admissions, charge lines…: not decided on here, not decoded
                    # (claim commands are always decoded: their sender waits for an answer)
                with as_current(event):
                    await self._decide(event, synced, stage, reply)
            await self.deferred.delivered()
            if self.states.changed or self.positions.changed:
                await self.changelog_ready()
            self.states.store()
            self.positions.store()

    async def _decide(self, event: faust.EventT, synced: Synced, stage: str, reply: bool
                      ) -> None:
        record = raw_record(event)
        state = WorkerState() if record.key is None else self.states.get(record.key)

        async def handler(env: Envelope[Message]) -> Sequence[Outgoing]:
            if reply and type(env.payload) not in CLAIM_HANDLERS:  # answered, not dropped
                raise Rejected("unexpected_type", f"{env.type} is not a claim command")
            if record.key != env.key.encode():
                raise Rejected("key_mismatch",
                               f"Kafka key {record.key!r} is not the envelope key {env.key}")
            if (isinstance(env.payload, EncounterDischarged | DischargedEncounterCorrected)
                    and not synced.done):
                await self.store.sync()
                synced.done = True
            events, new_state = handle(state, env, self.store.catalogs)
            if new_state is not state:
                self.states.put(env.key.encode(), event, new_state)
            out = [Outgoing(topics.SETTLEMENT_EVENTS, e)
                   for e in derive(env, list(events), key=env.key, source=SOURCE)]
            if reply:
                detail = ", ".join(e.message_type for e in events[:10])
                accepted = MessageAccepted(ref_event_id=env.event_id, ref_type=env.type,
                                           detail=detail)
                [ack] = derive(env, [accepted], key=env.source, source=SOURCE, salt="reply")
                out.append(Outgoing(topics.CLAIM_REPLIES, ack))
            return out

        await process(record, handler, self.replying if reply else self.quiet, stage)


@dataclass
class Synced:
    """Whether this batch already brought the catalogs up to date (once per batch)."""

    done: bool = False


def _encode(state: WorkerState) -> bytes:
    return state.model_dump_json().encode()


def register(app: faust.App, settings: Settings, settler: Settler,
             encounter_topic: faust.TopicT, claim_topic: faust.TopicT) -> None:
    @app.agent(encounter_topic, name="settle_discharged_encounters", concurrency=1)
    async def settle_discharged_encounters(stream: faust.StreamT) -> None:
        async for events in batches(stream):
            await settler.run(events, "settle-encounter", reply=False)

    @app.agent(claim_topic, name="decide_claim_commands", concurrency=1)
    async def decide_claim_commands(stream: faust.StreamT) -> None:
        async for events in batches(stream):
            await settler.run(events, "claim-command", reply=True)
