"""Faust agents: decode -> domain (`worker.handle`) -> send, via `contracts.runtime.intake`.

Both agents change the same per-worker state, so one lock serialises them (decide, send,
then store). The state is stored only after the outputs were delivered: a crash in between
re-decides the input and re-sends byte-identical envelopes (deterministic ids), which every
consumer deduplicates; storing first would lose the outputs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import faust

from contracts import topics
from contracts.encounter import DischargedEncounterCorrected, EncounterDischarged
from contracts.envelope import Envelope, derive
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.runtime import faust_app
from contracts.runtime.intake import Outgoing, process
from contracts.runtime.rejection import RawRecord, Rejected, Rejector
from contracts.settings import Settings
from contracts.topics import Writer
from services.settlement.adapters.reference import ReferenceStore
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import handle

SOURCE = Writer.SETTLEMENT.value


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
        self._send = faust_app.sender(app)
        prefix = settings.topic_prefix
        self.quiet = Rejector(Writer.SETTLEMENT, None, prefix, self.send)  # encounter events
        self.replying = Rejector(Writer.SETTLEMENT, topics.CLAIM_REPLIES, prefix, self.send)

    async def send(self, name: str, key: bytes | None, value: bytes) -> None:
        await self._send(name, key, value)  # delivered before "done" is stored

    async def changelog_ready(self) -> None:
        if not self._changelog_ok:
            await faust_app.changelogs_ready(self.app, [self.table])
            self._changelog_ok = True

    def load(self, key: bytes | None) -> WorkerState:
        raw = self.table.get(key)
        return WorkerState() if raw is None else WorkerState.model_validate_json(raw)

    async def run(self, event: faust.EventT, stage: str, reply: bool) -> None:
        record = raw_record(event)
        async with self.lock:
            state = self.load(record.key)
            decided: list[WorkerState] = []

            async def handler(env: Envelope[Message]) -> Sequence[Outgoing]:
                if record.key != env.key.encode():
                    raise Rejected("key_mismatch",
                                   f"Kafka key {record.key!r} is not the envelope key {env.key}")
                if isinstance(env.payload, EncounterDischarged | DischargedEncounterCorrected):
                    await self.store.sync()
                events, new_state = handle(state, env, self.store.catalogs)
                decided.append(new_state)
                out = [Outgoing(topics.SETTLEMENT_EVENTS, e)
                       for e in derive(env, list(events), key=env.key, source=SOURCE)]
                if reply:
                    detail = ", ".join(e.message_type for e in events[:10])
                    accepted = MessageAccepted(ref_event_id=env.event_id, ref_type=env.type,
                                               detail=detail)
                    [ack] = derive(env, [accepted], key=env.source, source=SOURCE, salt="reply")
                    out.append(Outgoing(topics.CLAIM_REPLIES, ack))
                return out

            ok = await process(record, handler, self.replying if reply else self.quiet, stage)
            if ok and decided and decided[0] is not state:
                await self.changelog_ready()
                self.table[record.key] = decided[0].model_dump_json().encode()


def register(app: faust.App, settings: Settings, settler: Settler,
             encounter_topic: faust.TopicT, claim_topic: faust.TopicT) -> None:
    @app.agent(encounter_topic, name="settle_discharged_encounters", concurrency=1)
    async def settle_discharged_encounters(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await settler.run(event, "settle-encounter", reply=False)

    @app.agent(claim_topic, name="decide_claim_commands", concurrency=1)
    async def decide_claim_commands(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await settler.run(event, "claim-command", reply=True)
