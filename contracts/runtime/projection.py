"""Read models with exactly-once effects: rows and consumed offsets in one transaction.

A projection reads its topics with aiokafka in a consumer group, but the truth about where
it is lives in PostgreSQL (`checkpoints`, in the projection's own schema). On every partition
assignment it seeks to the stored position; each batch is applied and its next offset stored
in one transaction. A crash between batches replays at most the uncommitted batch, whose
rows were rolled back with it: nothing lost, nothing applied twice.

A projection applies events one at a time (`apply`); one that can write a whole batch in
fewer round trips also implements `apply_many` (`BatchProjection`), which the runner then
calls once per batch instead, inside the same transaction. Either way the rows must be the
same: batching is an optimisation, never a change of meaning.

SQL in projections is unqualified: the connection's `search_path` is the projection's
schema, so the same code rebuilds into a fresh schema for `wic replay`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from contracts import trusted, wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime import metrics
from contracts.settings import Settings, kafka_security
from contracts.topics import Topic

log = logging.getLogger(__name__)

CHECKPOINTS_DDL = """
CREATE TABLE IF NOT EXISTS checkpoints (
    projection  text   NOT NULL,
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (projection, topic, partition)
)"""


class Projection(Protocol):
    """A read model: a name, its topics, and how one event changes its rows."""

    name: str
    topics: Sequence[Topic]

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None: ...


@runtime_checkable
class BatchProjection(Projection, Protocol):
    """Optional: a projection that also applies a batch's events, in order, in one call.

    `apply_many(conn, events)` must leave exactly the rows that `apply` on each event in
    turn would (duplicates included: idempotence by event id still holds within a batch).
    """

    async def apply_many(self, conn: asyncpg.Connection,
                         events: list[Envelope[Message]]) -> None: ...


Logged = tuple[str, int, int, Envelope[Message]]
"""An event with where it lies on the log: (topic, partition, offset, envelope)."""


@runtime_checkable
class LoggedProjection(Projection, Protocol):
    """Optional: a projection that also keeps where each event lies on the log (the audit
    trail, `contracts.runtime.audit_trail`): handed a fetch's events with their positions,
    in one call, instead of `apply` or `apply_many`."""

    async def apply_logged(self, conn: asyncpg.Connection, events: list[Logged]) -> None: ...


class Run(Protocol):
    """Consecutive common events of a batch, written with one statement per kind of row."""

    def add(self, event: Envelope[Message]) -> bool: ...  # False: not an event of a run

    async def write(self, conn: asyncpg.Connection) -> None: ...


async def apply_in_runs(conn: asyncpg.Connection, events: Sequence[Envelope[Message]],
                        new_run: Callable[[], Run],
                        apply_one: Callable[[asyncpg.Connection, Envelope[Message]],
                                            Awaitable[None]]) -> None:
    """`apply_many` for read models whose events are mostly of a few kinds: each run of
    those is written at once, and any other event ends the run and is applied on its own,
    so the statements keep their log order across the kinds that do not commute."""
    run = new_run()
    for event in events:
        if run.add(event):
            continue
        await run.write(conn)
        run = new_run()
        await apply_one(conn, event)
    await run.write(conn)


@dataclass
class Progress:
    applied: int = 0
    skipped: int = 0
    positions: dict[tuple[str, int], int] = field(default_factory=dict)


async def connect(database_url: str, schema: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url, server_settings={"search_path": schema})


async def load_checkpoints(conn: asyncpg.Connection, projection: str) -> dict[tuple[str, int], int]:
    async with conn.transaction():
        # A service's projections start together (and rebuild together into a fresh
        # schema): two concurrent CREATE TABLE IF NOT EXISTS collide in PostgreSQL's catalog.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('wic checkpoints ' ||"
                           " current_schema()))")
        await conn.execute(CHECKPOINTS_DDL)
        rows = await conn.fetch(
            "SELECT topic, partition, next_offset FROM checkpoints WHERE projection = $1",
            projection)
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


_READ_CHECKPOINTS = (
    "SELECT topic, partition, next_offset FROM checkpoints WHERE projection = $1"
    " AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[])) FOR UPDATE")
_WRITE_CHECKPOINTS = (
    "INSERT INTO checkpoints (projection, topic, partition, next_offset)"
    " SELECT $1, * FROM unnest($2::text[], $3::int[], $4::bigint[])"
    " ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset")


async def read_checkpoints(conn: asyncpg.Connection, projection: str,
                           parts: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """The stored next offsets of `parts`, locked for the caller's transaction: one
    statement for every partition of a fetch (it was one per partition, and one more to
    write each back: docs/performance.md, "Fifth round: CPU per hospital message")."""
    rows = await conn.fetch(_READ_CHECKPOINTS, projection, [t for t, _ in parts],
                            [p for _, p in parts])
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def write_checkpoints(conn: asyncpg.Connection, projection: str,
                            positions: dict[tuple[str, int], int]) -> None:
    """Store the next offsets of the partitions a fetch applied, in one statement."""
    if positions:
        await conn.execute(_WRITE_CHECKPOINTS, projection, [t for t, _ in positions],
                           [p for _, p in positions], list(positions.values()))


async def apply_records(
    conn: asyncpg.Connection,
    projection: Projection,
    topic: str,
    partition: int,
    records: Sequence[Any],
    decode: Callable[[bytes | None], Envelope[Message]] = wire.decode,
    decoded: dict[int, Envelope[Message] | None] | None = None,
) -> tuple[int, int]:
    """Apply records of one partition inside the caller's transaction; returns (applied, skipped).

    Undecodable records are skipped here: the writer of an event topic validated them, and
    a projection must not stop on one it cannot read. The decoded events go to
    `apply_logged` with their positions (`LoggedProjection`), else to `apply_many` in one call
    if the projection has it (`BatchProjection`), else to `apply` one by one;
    the checkpoint is written after them, in the same transaction. `decode` is
    `wire.decode` unless a replay passes `contracts.trusted`'s (the same envelopes);
    `decoded` (offset -> envelope, None if undecodable) shares one decoding of a batch
    between the projections a runner applies it to.
    """
    start = (await read_checkpoints(conn, projection.name, [(topic, partition)])).get(
        (topic, partition), 0)
    events, skipped, after = decode_from(projection, topic, partition, records, start,
                                         decode, decoded)
    await apply_decoded(conn, projection, events)
    if after is not None:
        await write_checkpoints(conn, projection.name, {(topic, partition): after})
    return len(events), skipped


def decode_from(
    projection: Projection,
    topic: str,
    partition: int,
    records: Sequence[Any],
    start: int,
    decode: Callable[[bytes | None], Envelope[Message]] = wire.decode,
    decoded: dict[int, Envelope[Message] | None] | None = None,
) -> tuple[list[Logged], int, int | None]:
    """The events of one partition's records from offset `start` on, decoded (no I/O);
    returns (events with their positions, skipped, the next offset to store or None)."""
    skipped = 0
    last = start - 1
    logged: list[Logged] = []
    for rec in records:
        if rec.offset < start:
            skipped += 1
            continue
        last = rec.offset
        if decoded is not None and rec.offset in decoded:
            event = decoded[rec.offset]
        else:
            try:
                event = decode(rec.value)
            except wire.WireError:
                log.error("projection %s: undecodable %s/%s@%s", projection.name, topic,
                          partition, rec.offset)
                event = None
            if decoded is not None:
                decoded[rec.offset] = event
        if event is None:
            skipped += 1
        else:
            logged.append((topic, partition, rec.offset, event))
    return logged, skipped, (last + 1 if last >= start else None)


async def apply_decoded(conn: asyncpg.Connection, projection: Projection,
                        events: list[Logged]) -> None:
    """Apply decoded events, in the order given, with as few calls as the projection
    allows: `apply_logged` or `apply_many` once for all of them, else `apply` one by one.
    One call for a whole fetch (every partition's events, one partition after another) is
    the same as one call per partition in that order: `apply_many` must equal `apply` on
    each event in turn, and the audit trail keeps an event id's first position either way.
    With twelve partitions a call per partition was up to twelve times the statements
    (docs/performance.md, "Fifth round, second pass")."""
    if not events:
        return
    if isinstance(projection, LoggedProjection):
        await projection.apply_logged(conn, events)
    elif isinstance(projection, BatchProjection):
        await projection.apply_many(conn, [event for *_, event in events])
    else:
        for *_, event in events:
            await projection.apply(conn, event)


class _SeekToCheckpoint(ConsumerRebalanceListener):
    def __init__(self, runner: ProjectionRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self.runner._commit_kafka(force=True)  # while the partitions are still ours

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self.runner.seek_assigned(assigned)


@dataclass
class ProjectionRunner:
    """Runs one projection until stopped; `until` bounds a replay (offsets per partition)."""

    projection: Projection
    bootstrap: str
    database_url: str
    schema: str
    prefix: str = ""
    group: str | None = None
    batch_size: int = 500
    # A live read model is not on any answer's path (agents answer and post; the read model
    # follows), so it trades a little freshness for fewer, larger transactions: the broker
    # holds a fetch until `fetch_min_bytes` arrived or `fetch_max_wait_ms` passed. At
    # 1,000 msg/s a fetch of a few records each cost a transaction (checkpoint read and
    # write, one statement per kind of row) and a Kafka commit (docs/performance.md, fourth
    # round). A rebuild reads a backlog and passes the Kafka client's defaults.
    fetch_min_bytes: int = 1024 * 1024
    fetch_max_wait_ms: int = 100
    # Records a fetch may return per partition: aiokafka holds them until handed over, so
    # with twelve partitions the client's 1 MiB was most of a registration worker's peak
    # RSS while its read models caught up (docs/performance.md "Fifth round: memory").
    max_partition_fetch_bytes: int = 256 * 1024
    commit_interval: float = 1.0  # seconds between Kafka offset commits (for `wic lag` only)
    # A replay decodes the records each topic's own writer wrote without validating them
    # again (`contracts.trusted`: the same envelopes); live read models validate every one.
    trusted: bool = False
    # Other projections fed from the same consumer (a replay: a service's read model and its
    # audit trail read the same topics): each record is fetched and decoded once, each
    # projection applies the records of its own topics from its own checkpoint, and every
    # checkpoint commits in the one transaction of the fetch.
    companions: Sequence[Projection] = ()
    # Only these partitions, assigned rather than shared by the group (a rebuild split over
    # processes, `ops.rebuild`: each process its own partitions and their checkpoints).
    partitions: Sequence[tuple[str, int]] | None = None
    on_batch: Callable[[Progress], Awaitable[None] | None] | None = None
    on_started: Callable[[], None] | None = None  # connected to both PostgreSQL and Kafka
    progress: Progress = field(default_factory=Progress)
    _conn: asyncpg.Connection | None = None
    _consumer: AIOKafkaConsumer | None = None
    _conn_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _uncommitted: dict[TopicPartition, int] = field(default_factory=dict)
    _committed_at: float = 0.0
    _decoders: dict[str, Callable[[bytes | None], Envelope[Message]]] = field(
        default_factory=dict)

    def decoder(self, topic: str) -> Callable[[bytes | None], Envelope[Message]]:
        """How records of the physical `topic` are decoded (see `trusted`)."""
        if not self.trusted:
            return wire.decode
        found = self._decoders.get(topic)
        if found is None:
            registry = next((t for p in self.projections for t in p.topics
                             if t.name(self.prefix) == topic), None)
            found = wire.decode if registry is None else trusted.decoder(registry)
            self._decoders[topic] = found
        return found

    @property
    def projections(self) -> list[Projection]:
        return [self.projection, *self.companions]

    def readers(self, topic: str) -> list[Projection]:
        """The projections of this runner that read the physical `topic`."""
        return [p for p in self.projections
                if any(t.name(self.prefix) == topic for t in p.topics)]

    async def seek_assigned(self, assigned: Any) -> None:
        assert self._conn is not None and self._consumer is not None
        # The rebalance callback runs beside the batch loop: one connection, one user.
        async with self._conn_lock:
            stored = [await load_checkpoints(self._conn, p.name) for p in self.projections]
        for tp in assigned:
            # the earliest position any of its readers needs (each skips what it applied)
            readers = {id(p) for p in self.readers(tp.topic)}
            found = [s.get((tp.topic, tp.partition))
                     for p, s in zip(self.projections, stored, strict=True) if id(p) in readers]
            pos = None if not found or None in found else min(f for f in found if f is not None)
            if pos is None:
                await self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, pos)
                # A predecessor killed before its Kafka commit leaves the group's offset
                # behind the checkpoint; with nothing new to apply, `wic lag` would show that
                # lag for ever (the chaos run waited on it): commit the checkpoint itself.
                self._uncommitted.setdefault(tp, pos)

    async def run(
        self, stop: asyncio.Event, until: dict[tuple[str, int], int] | None = None
    ) -> Progress:
        self._conn = await connect(self.database_url, self.schema)
        for projection in self.projections:
            await load_checkpoints(self._conn, projection.name)
        names = sorted({t.name(self.prefix) for p in self.projections for t in p.topics})
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, **kafka_security(),
            group_id=self.group or f"{self.prefix}{self.schema}.{self.projection.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch_size,
            fetch_min_bytes=self.fetch_min_bytes,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
            max_partition_fetch_bytes=self.max_partition_fetch_bytes,
        )
        await self._consumer.start()
        if self.on_started is not None:
            self.on_started()
        metrics.projection_started(self)
        try:
            if self.partitions is None:
                self._consumer.subscribe(names, listener=_SeekToCheckpoint(self))
            else:
                mine = [TopicPartition(t, p) for t, p in self.partitions]
                self._consumer.assign(mine)
                await self.seek_assigned(mine)
            while not stop.is_set():
                if until is not None and self._reached(until):
                    break
                batches = await self._consumer.getmany(timeout_ms=200, max_records=self.batch_size)
                await self._apply(batches, until)
                await self._commit_kafka(force=False)
        finally:
            metrics.projection_stopped(self)
            await self._commit_kafka(force=True)
            await self._consumer.stop()
            await self._conn.close()
        return self.progress

    async def _apply(self, batches: dict[TopicPartition, list[Any]],
                     until: dict[tuple[str, int], int] | None) -> None:
        assert self._conn is not None and self._consumer is not None
        todo = {tp: self._bounded(tp, records, until) for tp, records in batches.items()}
        todo = {tp: records for tp, records in todo.items() if records}
        if todo:
            # One transaction for the whole fetch, each partition's checkpoint in it: a
            # commit per partition cost more than the rows of a small batch.
            async with self._conn_lock, self._conn.transaction():
                counts = []
                # each projection's checkpoints of the fetch: read (locked) in one
                # statement, the new ones written in one after the rows
                readers = {tp: self.readers(tp.topic) for tp in todo}
                starts: dict[int, dict[tuple[str, int], int]] = {}
                after: dict[int, dict[tuple[str, int], int]] = {}
                for projection in self.projections:
                    parts = [(tp.topic, tp.partition) for tp in todo
                             if any(r is projection for r in readers[tp])]
                    if parts:
                        starts[id(projection)] = await read_checkpoints(
                            self._conn, projection.name, parts)
                        after[id(projection)] = {}
                events: dict[int, list[Logged]] = {id(p): [] for p in self.projections}
                for tp, records in todo.items():
                    decoded: dict[int, Envelope[Message] | None] | None = (
                        {} if self.companions else None)
                    part = (tp.topic, tp.partition)
                    for projection in readers[tp]:
                        logged, skipped, next_offset = decode_from(
                            projection, tp.topic, tp.partition, records,
                            starts[id(projection)].get(part, 0), self.decoder(tp.topic),
                            decoded)
                        events[id(projection)] += logged
                        counts.append((len(logged), skipped))
                        if next_offset is not None:
                            after[id(projection)][part] = next_offset
                for projection in self.projections:  # one call each for the whole fetch
                    await apply_decoded(self._conn, projection, events[id(projection)])
                for projection in self.projections:
                    if after.get(id(projection)):
                        await write_checkpoints(self._conn, projection.name,
                                                after[id(projection)])
            for applied, skipped in counts:
                self.progress.applied += applied
                self.progress.skipped += skipped
            for tp, records in todo.items():
                self.progress.positions[(tp.topic, tp.partition)] = records[-1].offset + 1
            self._uncommitted.update({tp: records[-1].offset + 1
                                      for tp, records in todo.items()})
        if batches and self.on_batch is not None:
            result = self.on_batch(self.progress)
            if asyncio.iscoroutine(result):
                await result

    async def _commit_kafka(self, force: bool) -> None:
        """Kafka's own offsets follow PostgreSQL's, only so that `wic lag` can read them: at
        most once per `commit_interval`, and on stop. A commit refused during a rebalance,
        or lost in a crash, is harmless: the checkpoints in PostgreSQL hold the truth."""
        assert self._consumer is not None
        now = time.monotonic()
        if not self._uncommitted or (not force and now - self._committed_at < self.commit_interval):
            return
        offsets, self._uncommitted = self._uncommitted, {}
        self._committed_at = now
        try:
            await self._consumer.commit(offsets)
        except KafkaError:  # tried again on the next loop: an idle read model must not keep
            # showing `wic lag` a lag it has applied (seen after a restart, issue 14 chaos run)
            owned = self._consumer.assignment()
            self._uncommitted = {**{tp: o for tp, o in offsets.items() if tp in owned},
                                 **self._uncommitted}

    @staticmethod
    def _bounded(tp: TopicPartition, records: list[Any],
                 until: dict[tuple[str, int], int] | None) -> list[Any]:
        if until is None:
            return records
        end = until.get((tp.topic, tp.partition), 0)
        return [r for r in records if r.offset < end]

    def _reached(self, until: dict[tuple[str, int], int]) -> bool:
        return all(self.progress.positions.get(k, 0) >= v for k, v in until.items() if v > 0)


@dataclass
class LiveReadModels:
    """A service's read models, kept running through database and broker outages.

    A read model is not on any answer's path: when PostgreSQL or the broker goes away, its
    runner fails, waits (doubling from `first_wait` up to `max_wait`) and starts again
    from its checkpoints, while the agents go on deciding (issue 14 finding 3: one read
    model's `InterfaceError` had ended the whole service). `failing` names the read models
    that are waiting to restart, for `/health`.
    """

    projections: Sequence[Projection]
    settings: Settings
    schema: str
    first_wait: float = 0.5
    max_wait: float = 10.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    failing: dict[str, str] = field(default_factory=dict)
    restarts: int = 0
    _waits: dict[str, float] = field(default_factory=dict)

    def attach(self, app: Any) -> LiveReadModels:
        """Run on a faust app: started as its task, stopped before it shuts down."""

        async def follow_the_log() -> None:
            await self.run()

        async def stop(*_args: Any, **_kwargs: Any) -> None:
            self.stop.set()

        app.task(follow_the_log)
        app.on_before_shutdown.connect(stop)
        return self

    async def run(self) -> None:
        await asyncio.gather(*(self._keep(p) for p in self.projections))

    async def _keep(self, projection: Projection) -> None:
        name = projection.name
        while not self.stop.is_set():
            wait = self._waits.setdefault(name, self.first_wait)
            runner = ProjectionRunner(projection, self.settings.bootstrap,
                                      self.settings.database_url, self.schema,
                                      prefix=self.settings.topic_prefix,
                                      on_started=functools.partial(self._healthy, name))
            try:
                await runner.run(self.stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # asyncpg, OSError, KafkaError: wait and start again
                self.failing[projection.name] = f"{type(exc).__name__}: {exc}"[:200]
                self.restarts += 1
                metrics.read_model_failed(name)
                log.warning("read model %s failed (%s); restarting in %.1f s",
                            projection.name, self.failing[projection.name], wait)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), wait)
                self._waits[projection.name] = min(wait * 2, self.max_wait)

    def _healthy(self, name: str) -> None:
        self.failing.pop(name, None)
        metrics.read_model_healthy(name)
        self._waits[name] = self.first_wait
