"""Faust agents, all through the shared runner (`contracts.runtime.runner`): registration
coverage into a local table (`contracts.coverage`); hospital messages through the domain's
handler map (`domain/handlers.py`); settlement's pre-settlement answers to the hospitals
(`domain/presettlement.py`). The topics are keyed by worker id with 4 partitions, so faust
co-partitions them and the worker's coverage is on the partition that processes the
worker's hospital messages.

Hospital messages are handled a batch at a time (`contracts.runtime.batching`): decided in
log order, a later message of the same worker seeing the state its predecessors left, every
output handed to the producer at once. State is written to the table only AFTER the batch's
records are delivered: a crash in between replays the messages, which derive byte-identical
records (deterministic ids) that consumers drop. Decoded coverage and state are kept beside
the tables (`DecodedCache`) so a worker's JSON is parsed once, not on every message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import faust
import orjson
from pydantic import ValidationError

from contracts import coverage, topics, wire
from contracts.coverage import Keep
from contracts.decision import BY_WORKER, Rejected
from contracts.registration import WorkerCoverage
from contracts.runtime import faust_app
from contracts.runtime.batching import (
    BatchedState,
    DecodedCache,
    DeferredSends,
    InputPositions,
    Snapshots,
    batches,
)
from contracts.runtime.rejection import RawRecord, Rejector
from contracts.runtime.runner import Route, Runner
from contracts.runtime.trace import TRACE
from contracts.settings import Settings
from services.encounter.domain.handlers import HANDLERS, Context
from services.encounter.domain.presettlement import ANSWER_HANDLERS
from services.encounter.domain.reference_book import ReferenceBook
from services.encounter.domain.state import WorkerState


def kept_of(record: RawRecord) -> Keep:
    """What encounter keeps of a snapshot: its payload's JSON, as the table always held."""
    return lambda _env: orjson.dumps(orjson.loads(record.value or b"{}")["payload"])


def _same(raw: bytes) -> bytes:
    return raw


def coverage_from(raw: bytes) -> WorkerCoverage:
    try:
        return WorkerCoverage.model_validate_json(raw)
    except ValidationError as exc:
        raise wire.WireError("invalid_payload", wire.describe(exc)) from None


def register(app: faust.App, settings: Settings, book: ReferenceBook,
             reference_ready: asyncio.Event,
             answered: Callable[[bytes], None] | None = None) -> tuple[Any, Any]:
    """Declare the tables and agents on `app`; returns (coverage table, state table).

    `answered` gets every reply to a hospital once the broker has it (the HTTP ingress's
    waiter of this process: no hop back through hospital-replies for its own answers)."""
    coverage_by_worker = faust_app.table(app, "coverage_by_worker")
    encounters_by_worker = faust_app.table(app, "encounters_by_worker")

    absorbed = DeferredSends(app)
    coverage_runner = Runner(app, Snapshots(coverage_by_worker, _same, bytes),
                             InputPositions(app, coverage_by_worker).attach(
                                 app, topics.REGISTRATION_COVERAGE.name(settings.topic_prefix)),
                             absorbed, tables=[coverage_by_worker])
    snapshots = Route("registration-coverage", coverage.HANDLERS,
                      Rejector(topics.Writer.ENCOUNTER, None, settings.topic_prefix,
                               absorbed.send),
                      kept_of, unexpected="unexpected_coverage")

    @app.agent(faust_app.topic(app, topics.REGISTRATION_COVERAGE, settings), concurrency=1)
    async def absorb_coverage(stream: Any) -> None:
        async for batch in batches(stream):
            await coverage_runner.run(batch, snapshots)

    coverages: DecodedCache[WorkerCoverage] = DecodedCache(coverage_from)
    replies = topics.HOSPITAL_REPLIES.name(settings.topic_prefix)
    deferred = DeferredSends(app, {replies: answered} if answered is not None else None)
    runner = Runner(app, BatchedState(encounters_by_worker, WorkerState.from_bytes,
                                      WorkerState.to_bytes, WorkerState),
                    InputPositions(app, encounters_by_worker).attach(
                        app, topics.HOSPITAL_MESSAGES.name(settings.topic_prefix),
                        topics.PRE_SETTLEMENT_ANSWERS.name(settings.topic_prefix)),
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
                 deferred.send), context, keyed_by=BY_WORKER)

    @app.agent(faust_app.topic(app, topics.HOSPITAL_MESSAGES, settings), concurrency=1)
    async def handle_hospital_messages(stream: Any) -> None:
        await faust_app.changelogs_ready(app, [encounters_by_worker])
        async for batch in batches(stream):
            TRACE.events("agent.start", batch)  # off unless WIC_TRACE_FILE
            await reference_ready.wait()
            await runner.run(batch, hospital_messages)
            TRACE.events("agent.end", batch)

    pre_settlement_answers = Route(
        "pre-settlement-answers", ANSWER_HANDLERS,
        Rejector(topics.Writer.ENCOUNTER, None, settings.topic_prefix, deferred.send),
        lambda _record: None, keyed_by=BY_WORKER)

    @app.agent(faust_app.topic(app, topics.PRE_SETTLEMENT_ANSWERS, settings), concurrency=1)
    async def hand_pre_settlements_to_hospitals(stream: Any) -> None:
        await faust_app.changelogs_ready(app, [encounters_by_worker])
        async for batch in batches(stream):
            await runner.run(batch, pre_settlement_answers)

    return coverage_by_worker, encounters_by_worker
