"""One way from a Kafka record to the domain and back (issue 15).

An agent hands a batch of records and a `Route` to its service's `Runner`; the runner owns,
once for every service:
- the input positions (`InputPositions`: redeliveries passed by, holes read and decided);
- records a route does not decide on, passed by before decoding (`Route.passes_by`);
- work that needs I/O (`prepare`, e.g. reading the catalogs) before any decision;
- the raw record (`rejection.raw_record`; a tombstone is refused), decoding, the
  envelope's time bound and refusals (`intake.process`: dead letter with the original
  bytes, and a reply with the reason where the route has one);
- the key checks: the record's Kafka key is the envelope's key, and that is what the
  payload is keyed by (`Route.keyed_by`; the partition, hence the state, follows the key);
- finding the handler for the message type in the domain's pure handler map;
- the state: read for the key, held per batch, stored only after every output of the batch
  was delivered (`DeferredSends`, then `BatchedState.store`, then the positions).

A domain handler is `(state, envelope, context) -> Decision`: it returns what to record,
what to answer and the next state; it never sends, awaits or reads the clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from contracts import wire
from contracts.decision import Decision, KeyedBy, Rejected
from contracts.envelope import Envelope
from contracts.message import Message, registered
from contracts.runtime import faust_app
from contracts.runtime.batching import DeferredSends, InputPositions, as_current
from contracts.runtime.intake import Outgoing, process
from contracts.runtime.rejection import RawRecord, Rejector, raw_record

S = TypeVar("S")
C = TypeVar("C")


DomainHandler = Callable[[S, Envelope[Message], C], Decision[S]]


PassesBy = Callable[[bytes | None], bool]
"""True for a record's value a route does not decide on: skipped before it is decoded."""


def passing_by_all_but(decided: Iterable[str]) -> PassesBy:
    """Pass by the records of every registered (type, version) whose type a route does not
    decide on — an upstream service's other events. An unknown version, or a type that is
    not registered at all, is still decoded, and dead-lettered."""
    mine = frozenset(decided)
    kinds = frozenset((t, v) for t, v in registered() if t not in mine)
    return lambda value: wire.peek_kind(value) in kinds


@dataclass(frozen=True)
class Route(Generic[S, C]):
    """How the records of one input topic reach the domain.

    `handlers` is the domain's map from message type to handler; a type outside it is
    refused `unexpected` (the sender is told, never silently dropped). `context(record)` is
    what a handler needs beside the state (coverage, catalogs, policy, the record's broker
    time), read before it.
    """

    stage: str
    handlers: Mapping[type[Message], DomainHandler[S, C]]
    rejector: Rejector
    context: Callable[[RawRecord], C]
    unexpected: str = "unexpected_type"
    passes_by: PassesBy | None = None
    keyed_by: KeyedBy | None = None  # what the envelope key must be, checked before handling


class States(Protocol[S]):
    """Where a runner keeps decision state: per key, held for the batch, stored after it."""

    def get(self, key: bytes) -> S: ...

    def put(self, key: bytes, event: Any, value: S) -> None: ...

    @property
    def changed(self) -> bool: ...

    def store(self) -> None: ...


@dataclass
class OneState(Generic[S]):
    """One state for every key, in memory: the ledger's, the pure fold of its own log
    (rebuilt from it at start; the log is its durability)."""

    value: S

    def get(self, key: bytes) -> S:
        return self.value

    def put(self, key: bytes, event: Any, value: S) -> None:
        self.value = value

    @property
    def changed(self) -> bool:
        return False  # nothing to write to a table

    def store(self) -> None:
        pass


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
    states: States[S]
    positions: InputPositions
    deferred: DeferredSends
    tables: Sequence[Any] = ()  # whose changelogs must exist before the first write
    _changelogs_ok: bool = field(default=False, init=False)
    # agents of one service share its state: one batch at a time, decided then stored
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def run(self, events: Sequence[Any], routes: Route[S, Any] | Mapping[str, Route[S, Any]],
                  prepare: Callable[[Sequence[Any]], Awaitable[None]] | None = None) -> None:
        """Decide a batch; `routes` is one route, or one per (physical) input topic."""
        async with self._lock:
            await self._run(events, routes, prepare)

    async def _run(self, events: Sequence[Any], routes: Route[S, Any] | Mapping[str, Route[S, Any]],
                   prepare: Callable[[Sequence[Any]], Awaitable[None]] | None) -> None:
        todo = []
        for event in await self.positions.admit(events):
            route = routes if isinstance(routes, Route) else routes[event.message.topic]
            if route.passes_by is None or not route.passes_by(event.value):
                todo.append((event, route))
        if prepare is not None and todo:
            await prepare([event for event, _ in todo])
        for event, route in todo:
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
        if record.value is None:  # no input topic here is compacted by deletion
            await route.rejector.reject(record, "unexpected_tombstone",
                                        f"records on {record.topic} are never deleted; a "
                                        "tombstone is refused", stage=route.stage)
            return False

        async def handle(env: Envelope[Message]) -> Sequence[Outgoing]:
            key = key_of(record, env)
            handler = route.handlers.get(type(env.payload))
            if handler is None:
                raise Rejected(route.unexpected,
                               f"{env.type} is not accepted on {record.topic}")
            if route.keyed_by is not None and (why := route.keyed_by.mismatch(env)):
                raise Rejected("key_mismatch", why)
            decision = handler(self.states.get(key), env, route.context(record))
            if decision.state is not None:
                self.states.put(key, event, decision.state)
            return [*decision.events, *decision.replies]

        return await process(record, handle, route.rejector, route.stage)
