"""Faust agents: registration coverage into a local table; hospital messages through the
domain. Both topics are keyed by worker id with 4 partitions, so faust co-partitions them and
the worker's coverage is on the partition that processes the worker's hospital messages.

State is written to the table only AFTER the records are sent: a crash in between replays
the message, which derives byte-identical records (deterministic ids) that consumers drop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust

from contracts import topics
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import WorkerCoverage
from contracts.runtime import faust_app
from contracts.runtime.intake import Outgoing, process
from contracts.runtime.rejection import RawRecord, Rejected, Rejector
from contracts.settings import Settings
from services.encounter.adapters.handling import handle
from services.encounter.domain.reference_book import ReferenceBook
from services.encounter.domain.state import WorkerState


def raw_record(event: Any) -> RawRecord:
    msg = event.message
    stamp = int(msg.timestamp * 1000) if msg.timestamp else None
    return RawRecord(topic=msg.topic, partition=msg.partition, offset=msg.offset,
                     key=msg.key, value=msg.value, timestamp_ms=stamp)


def coverage_of(raw: bytes | None) -> WorkerCoverage | None:
    return None if raw is None else WorkerCoverage.model_validate_json(raw)


def register(app: faust.App, settings: Settings, book: ReferenceBook,
             reference_ready: asyncio.Event) -> tuple[Any, Any]:
    """Declare the tables and agents on `app`; returns (coverage table, state table)."""
    coverage_by_worker = app.Table("coverage_by_worker", default=None, key_type=bytes,
                                   value_type=bytes, partitions=topics.WORKER_PARTITIONS)
    encounters_by_worker = app.Table("encounters_by_worker", default=None, key_type=bytes,
                                     value_type=bytes, partitions=topics.WORKER_PARTITIONS)

    send = faust_app.sender(app)
    replying = Rejector(topics.Writer.ENCOUNTER, topics.HOSPITAL_REPLIES,
                        settings.topic_prefix, send)
    silent = Rejector(topics.Writer.ENCOUNTER, None, settings.topic_prefix, send)

    @app.agent(faust_app.topic(app, topics.REGISTRATION_COVERAGE, settings), concurrency=1)
    async def absorb_coverage(stream: Any) -> None:
        await faust_app.changelogs_ready(app, [coverage_by_worker])
        async for event in stream.events():
            record = raw_record(event)
            if record.value is None and record.key is not None:  # compaction tombstone
                coverage_by_worker.pop(record.key, None)
                continue

            async def keep(env: Envelope[Message], key: bytes | None = record.key
                           ) -> list[Outgoing]:
                snap = env.payload
                if not isinstance(snap, WorkerCoverage) or key != snap.worker_id.encode():
                    raise Rejected("unexpected_coverage", "not a WorkerCoverage for its key")
                coverage_by_worker[key] = snap.model_dump_json().encode()
                return []

            await process(record, keep, silent, stage="registration-coverage")

    @app.agent(faust_app.topic(app, topics.HOSPITAL_MESSAGES, settings), concurrency=1)
    async def handle_hospital_messages(stream: Any) -> None:
        await faust_app.changelogs_ready(app, [encounters_by_worker])
        async for event in stream.events():
            await reference_ready.wait()
            record = raw_record(event)
            next_state: list[WorkerState] = []

            async def decide(env: Envelope[Message], key: bytes | None = record.key,
                             found: list[WorkerState] = next_state) -> list[Outgoing]:
                if key is None:
                    raise Rejected("missing_key", "hospital messages are keyed by worker id")
                state = WorkerState.from_bytes(encounters_by_worker.get(key))
                outcome = handle(env, state, coverage_of(coverage_by_worker.get(key)), book)
                if outcome.state is not None:
                    found.append(outcome.state)
                return outcome.outgoing

            if await process(record, decide, replying, stage="hospital-messages") and next_state:
                assert record.key is not None
                encounters_by_worker[record.key] = next_state[0].to_bytes()

    return coverage_by_worker, encounters_by_worker
