"""One way from a Kafka record to the domain and back (issue 15).

An agent hands a batch of records and a `Route` to its service's `Runner`; the runner owns,
once for every service:
- the input positions (`InputPositions`: redeliveries passed by, holes read and decided);
- records a route does not decide on, passed by before decoding (`Route.passed_by`);
- work that needs I/O (`prepare`, e.g. reading the catalogs) before any decision;
- the raw record, decoding, the envelope's time bound and refusals (`intake.process`:
  dead letter with the original bytes, and a reply with the reason where the route has one);
- the Kafka key check: the record's key is the envelope's key, which is what the domain
  decides for (the partition, hence the state, follows the Kafka key);
- finding the handler for the message type in the domain's pure handler map;
- the state: read for the key, held per batch, stored only after every output of the batch
  was delivered (`DeferredSends`, then `BatchedState.store`, then the positions).

A domain handler is `(state, envelope, context) -> Decision`: it returns what to record,
what to answer and the next state; it never sends, awaits or reads the clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from contracts import wire
from contracts.decision import Decision
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime import faust_app
from contracts.runtime.batching import BatchedState, DeferredSends, InputPositions, as_current
from contracts.runtime.intake import Outgoing, process
from contracts.runtime.rejection import RawRecord, Rejected, Rejector

S = TypeVar("S")
C = TypeVar("C")


DomainHandler = Callable[[S, Envelope[Message], C], Decision[S]]


@dataclass(frozen=True)
class Route(Generic[S, C]):
    """How the records of one input topic reach the domain.

    `handlers` is the domain's map from message type to handler; a type outside it is
    refused `unexpected` (the sender is told, never silently dropped). `context(key)` is
    what a handler needs beside the state (coverage, catalogs, policy), read before it.
    """

    stage: str
    handlers: Mapping[type[Message], DomainHandler[S, C]]
    rejector: Rejector
    context: Callable[[bytes], C]
    unexpected: str = "unexpected_type"
    passed_by: frozenset[tuple[str, int]] = frozenset()
    """(type, version) pairs skipped before decoding: events of an upstream service this
    route does not decide on (an unknown version is still decoded, and dead-lettered)."""


def raw_record(event: Any) -> RawRecord:
    """The Kafka record of a faust event (or of a `batching.FetchedEvent`)."""
    msg = event.message
    stamp = None if msg.timestamp is None else int(msg.timestamp * 1000)
    return RawRecord(topic=msg.topic, partition=msg.partition, offset=msg.offset,
                     key=msg.key, value=msg.value, timestamp_ms=stamp)


def key_of(record: RawRecord, env: Envelope[Message]) -> bytes:
    """The state key: the record's Kafka key, which must be the envelope's key."""
    if record.key is None:
        raise Rejected("missing_key", f"records on {record.topic} must carry a Kafka key")
    if record.key != env.key.encode():
        raise Rejected("key_mismatch",
                       f"Kafka key {record.key!r} is not the envelope key {env.key!r}")
    return record.key


@dataclass
class Runner(Generic[S]):
    """Carries batches of one service's records to its domain; see the module docstring."""

    app: Any
    states: BatchedState[S]
    positions: InputPositions
    deferred: DeferredSends
    tables: Sequence[Any] = ()  # whose changelogs must exist before the first write
    _changelogs_ok: bool = field(default=False, init=False)
    # agents of one service share its state: one batch at a time, decided then stored
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def run(self, events: Sequence[Any], route: Route[S, Any],
                  prepare: Callable[[Sequence[Any]], Awaitable[None]] | None = None) -> None:
        async with self._lock:
            await self._run(events, route, prepare)

    async def _run(self, events: Sequence[Any], route: Route[S, Any],
                   prepare: Callable[[Sequence[Any]], Awaitable[None]] | None) -> None:
        admitted = [e for e in await self.positions.admit(events)
                    if not route.passed_by or wire.peek_kind(e.value) not in route.passed_by]
        if prepare is not None and admitted:
            await prepare(admitted)
        for event in admitted:
            with as_current(event):
                await self.decide(event, route)
        await self.deferred.delivered()  # every output first, then "done" in the tables
        if (self.states.changed or self.positions.changed) and not self._changelogs_ok:
            await faust_app.changelogs_ready(self.app, self.tables)
            self._changelogs_ok = True
        self.states.store()
        self.positions.store()

    async def decide(self, event: Any, route: Route[S, Any]) -> bool:
        """Decide one record (its outputs handed to the producer, not yet awaited)."""
        record = raw_record(event)

        async def handle(env: Envelope[Message]) -> Sequence[Outgoing]:
            key = key_of(record, env)
            handler = route.handlers.get(type(env.payload))
            if handler is None:
                raise Rejected(route.unexpected,
                               f"{env.type} is not accepted on {record.topic}")
            decision = handler(self.states.get(key), env, route.context(key))
            if decision.state is not None:
                self.states.put(key, event, decision.state)
            return [*decision.events, *decision.replies]

        return await process(record, handle, route.rejector, route.stage)
