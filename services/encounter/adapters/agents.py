"""Faust agents: registration coverage into a local table; hospital messages through the
domain. Both topics are keyed by worker id with 4 partitions, so faust co-partitions them and
the worker's coverage is on the partition that processes the worker's hospital messages.

Hospital messages are handled a batch at a time (`contracts.runtime.batching`): decided in
log order, a later message of the same worker seeing the state its predecessors left, every
output handed to the producer at once. State is written to the table only AFTER the batch's
records are delivered: a crash in between replays the messages, which derive byte-identical
records (deterministic ids) that consumers drop. Decoded coverage and state are kept beside
the tables (`DecodedCache`) so a worker's JSON is parsed once, not on every message.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import orjson
from pydantic import ValidationError

from contracts import topics, wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import WorkerCoverage
from contracts.runtime import faust_app
from contracts.runtime.batching import (
    BatchedState,
    DecodedCache,
    DeferredSends,
    InputPositions,
    batches,
)
from contracts.runtime.intake import Outgoing
from contracts.runtime.rejection import RawRecord, Rejected, Rejector, raw_record
from contracts.runtime.runner import Route, Runner
from contracts.settings import Settings
from services.encounter.domain.handlers import HANDLERS, Context
from services.encounter.domain.reference_book import ReferenceBook
from services.encounter.domain.state import WorkerState


def coverage_snapshot_for(value: bytes | None, key: bytes | None) -> bytes:
    """The snapshot's JSON to keep for `key`, if `value` is a valid `WorkerCoverage` v1
    envelope for the worker it is keyed by; else `Rejected` or `wire.WireError` with the
    reason code (issue 14 finding 6). Registration never writes tombstones (a compacted
    snapshot is only ever replaced), so a tombstone is refused: it must not erase coverage."""
    if key is None:
        raise Rejected("missing_key", "registration-coverage records are keyed by worker id")
    if value is None:
        raise Rejected("unexpected_tombstone",
                       "registration never deletes a coverage snapshot; a tombstone is refused")
    env = wire.decode(value)
    if not isinstance(env.payload, WorkerCoverage) or env.schema_version != 1:
        raise Rejected("unexpected_coverage",
                       f"{env.type} v{env.schema_version} is not a WorkerCoverage v1 snapshot")
    if env.payload.worker_id.encode() != key or env.key.encode() != key:
        raise Rejected("unexpected_coverage", "not a WorkerCoverage snapshot for its key")
    return orjson.dumps(orjson.loads(value)["payload"])  # the bytes the table always held


def coverage_from(raw: bytes) -> WorkerCoverage:
    try:
        return WorkerCoverage.model_validate_json(raw)
    except ValidationError as exc:
        raise wire.WireError("invalid_payload", wire.describe(exc)) from None


async def unexpected_coverage(env: Envelope[Message]) -> list[Outgoing]:
    raise Rejected("unexpected_coverage", "not a WorkerCoverage snapshot for its key")


def register(app: faust.App, settings: Settings, book: ReferenceBook,
             reference_ready: asyncio.Event) -> tuple[Any, Any]:
    """Declare the tables and agents on `app`; returns (coverage table, state table)."""
    coverage_by_worker = faust_app.table(app, "coverage_by_worker")
    encounters_by_worker = faust_app.table(app, "encounters_by_worker")

    silent = Rejector(topics.Writer.ENCOUNTER, None, settings.topic_prefix,
                      faust_app.sender(app))

    @app.agent(faust_app.topic(app, topics.REGISTRATION_COVERAGE, settings), concurrency=1)
    async def absorb_coverage(stream: Any) -> None:
        await faust_app.changelogs_ready(app, [coverage_by_worker])
        async for event in stream.events():
            record = raw_record(event)
            try:
                snapshot = coverage_snapshot_for(record.value, record.key)
            except (Rejected, wire.WireError) as exc:  # the table keeps what it had
                code, reason = ((exc.code, exc.reason) if isinstance(exc, Rejected)
                                else (exc.code, exc.detail))
                try:
                    cause: Envelope[Message] | None = wire.decode(record.value)
                except wire.WireError:
                    cause = None
                await silent.reject(record, code, reason, stage="registration-coverage",
                                    cause=cause)
                continue
            coverage_by_worker[record.key] = snapshot

    coverages: DecodedCache[WorkerCoverage] = DecodedCache(coverage_from)
    deferred = DeferredSends(app)
    runner = Runner(app, BatchedState(encounters_by_worker, WorkerState.from_bytes,
                                      WorkerState.to_bytes, WorkerState),
                    InputPositions(app, encounters_by_worker).attach(
                        app, topics.HOSPITAL_MESSAGES.name(settings.topic_prefix)),
                    deferred, tables=[encounters_by_worker])

    def context(record: RawRecord) -> Context:
        key = record.key or b""  # the runner has checked it is there
        raw = coverage_by_worker.get(key)
        if raw is None:
            return Context(None, book)
        try:
            return Context(coverages.get(key, raw), book)
        except wire.WireError as exc:  # registration wrote it; should never happen
            raise Rejected("coverage_unreadable",
                           f"the registration snapshot of this worker is unreadable: {exc}"
                           ) from None

    hospital_messages = Route(
        "hospital-messages", HANDLERS,
        Rejector(topics.Writer.ENCOUNTER, topics.HOSPITAL_REPLIES, settings.topic_prefix,
                 deferred.send), context)

    @app.agent(faust_app.topic(app, topics.HOSPITAL_MESSAGES, settings), concurrency=1)
    async def handle_hospital_messages(stream: Any) -> None:
        await faust_app.changelogs_ready(app, [encounters_by_worker])
        async for batch in batches(stream):
            await reference_ready.wait()
            await runner.run(batch, hospital_messages)

    return coverage_by_worker, encounters_by_worker
