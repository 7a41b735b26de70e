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
from dataclasses import dataclass, field
from typing import Any

import faust

from contracts import topics, wire
from contracts.encounter import DischargedEncounterCorrected, EncounterDischarged
from contracts.envelope import Envelope, derive
from contracts.message import Message, registered
from contracts.replies import MessageAccepted
from contracts.runtime import faust_app
from contracts.runtime.batching import DecodedCache, DeferredSends, as_current, batches
from contracts.runtime.intake import Outgoing, process
from contracts.runtime.rejection import RawRecord, Rejected, Rejector
from contracts.settings import Settings
from contracts.topics import Writer
from services.settlement.adapters.reference import ReferenceStore
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import DECIDED_ON, handle

SOURCE = Writer.SETTLEMENT.value
PASSED_BY = frozenset(t for t, _ in registered() if t not in DECIDED_ON)
"""Message types the agents skip before decoding (the domain would return nothing)."""


def raw_record(event: faust.EventT) -> RawRecord:
    msg = event.message
    ts = None if msg.timestamp is None else int(msg.timestamp * 1000)
    return RawRecord(topic=msg.topic, partition=msg.partition, offset=msg.offset,
                     key=event.key, value=event.value, timestamp_ms=ts)


class Settler:
    """Holds what the agents share: the state table, the catalogs, the lock, the rejectors."""

    def __init__(self, app: faust.App, settings: Settings, table: Any,
                 store: ReferenceStore) -> None:
        self.app, self.table, self.store = app, table, store
        self.lock = asyncio.Lock()
        self._changelog_ok = False
        self.deferred = DeferredSends(app)  # delivered before "done" is stored
        self.states: DecodedCache[WorkerState] = DecodedCache(WorkerState.model_validate_json)
        prefix = settings.topic_prefix
        self.quiet = Rejector(Writer.SETTLEMENT, None, prefix, self.deferred.send)
        self.replying = Rejector(Writer.SETTLEMENT, topics.CLAIM_REPLIES, prefix,
                                 self.deferred.send)

    async def changelog_ready(self) -> None:
        if not self._changelog_ok:
            await faust_app.changelogs_ready(self.app, [self.table])
            self._changelog_ok = True

    def load(self, key: bytes | None, batch: Batch) -> WorkerState:
        if key in batch.decided:  # an earlier record of this batch changed it
            return batch.decided[key][1]
        raw = None if key is None else self.table.get(key)
        return WorkerState() if raw is None else self.states.get(key, raw)  # type: ignore[arg-type]

    async def run(self, events: Sequence[faust.EventT], stage: str, reply: bool) -> None:
        async with self.lock:
            batch = Batch()
            for event in events:
                if not reply and wire.peek_type(event.value) in PASSED_BY:
                    continue  # admissions, charge lines…: not decided on here, not decoded
                    # (claim commands are always decoded: their sender waits for an answer)
                with as_current(event):
                    await self._decide(event, batch, stage, reply)
            await self.deferred.delivered()
            if batch.decided:
                await self.changelog_ready()
            for key, (event, state) in batch.decided.items():
                with as_current(event):
                    raw = state.model_dump_json().encode()
                    self.table[key] = raw
                    self.states.put(key, raw, state)

    async def _decide(self, event: faust.EventT, batch: Batch, stage: str, reply: bool) -> None:
        record = raw_record(event)
        state = self.load(record.key, batch)

        async def handler(env: Envelope[Message]) -> Sequence[Outgoing]:
            if record.key != env.key.encode():
                raise Rejected("key_mismatch",
                               f"Kafka key {record.key!r} is not the envelope key {env.key}")
            if (isinstance(env.payload, EncounterDischarged | DischargedEncounterCorrected)
                    and not batch.synced):
                await self.store.sync()
                batch.synced = True
            events, new_state = handle(state, env, self.store.catalogs)
            if new_state is not state:
                batch.decided[record.key] = (event, new_state)
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
class Batch:
    """What one batch decided so far: each worker's latest state (with the event whose
    partition its table write goes to), and whether the catalogs were synced."""

    decided: dict[bytes, tuple[faust.EventT, WorkerState]] = field(default_factory=dict)
    synced: bool = False


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
