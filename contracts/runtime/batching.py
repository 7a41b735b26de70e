"""Agents that handle a batch of records per delivery wait instead of one.

Why: an agent that awaits the broker's acknowledgement of every record it sends spends a
loopback round trip per output (two or more per hospital message), one after the other,
with `concurrency=1`. Here a batch of input records (`faust.Stream.take_events`) is decided
one record at a time, in log order, every output is handed to the producer without waiting,
and the whole batch's outputs are awaited together (`DeferredSends.delivered`). Only then is
the batch's state written to the tables, and only after that does faust ack the inputs
(`take_events` acks a batch when the loop asks for the next one). So the rule of the
per-record agents still holds: state is stored only after its outputs were delivered, and a
crash in between re-decides the inputs into byte-identical records (deterministic ids).

faust tables find their partition (for the RocksDB store and the changelog) through faust's
"current event"; in a batch, `as_current(event)` names the record being worked on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import faust
from faust.streams import _current_event  # faust's own context variable (pinned 0.15.3)
from faust.types import TP

from contracts.runtime import metrics
from contracts.settings import kafka_security

log = logging.getLogger(__name__)

BATCH_MAX = 500
BATCH_WITHIN = 0.005  # seconds an under-full batch waits for more records: the latency cost

V = TypeVar("V")

# Called with each record as it enters an agent's batch buffer (the admission trace sets it:
# `contracts.runtime.trace`); None otherwise, one test per record.
on_buffered: Callable[[Any], None] | None = None


async def batches(stream: faust.StreamT, max_records: int = BATCH_MAX,
                  within: float = BATCH_WITHIN) -> AsyncIterator[Sequence[faust.EventT]]:
    """The stream's events, a list at a time, in order; acked when the next list is asked.

    faust's `take_events`, less one stop: faust stops filling its buffer while the agent
    works on a batch (the stream's next record waits on a future until the batch is acked),
    so a batch held only what arrived in the `within` wait after the previous one, and under
    a backlog the agent decided small batches, each with its own delivery wait and its own
    changelog record per key and per input partition (docs/performance.md, "Fifth round:
    CPU per hospital message"). Here the records that arrive while a batch is decided are
    kept for the next one (still at most `max_records`). Acks are as faust's: a batch's
    events are acked when the agent asks for the next batch, i.e. after its outputs were
    delivered and its state stored; records taken in meanwhile are not acked before theirs.
    And an idle agent sleeps until a record arrives: faust's loop woke every `within`
    seconds (200 times a second for each agent of each service, mode's waits creating
    futures and tasks each time), and took a record at the next of those ticks; here it is
    taken at that same tick.
    """
    s: Any = stream  # faust's Stream internals (pinned 0.15.3; docs/assumptions.md)
    loop = asyncio.get_running_loop()
    buffer: list[faust.EventT] = []
    arrived, full, room = asyncio.Event(), asyncio.Event(), asyncio.Event()
    room.set()

    async def add_to_buffer(value: Any) -> Any:
        event = s.current_event
        if event is None:
            raise RuntimeError("batches: a record without faust's current event")
        while len(buffer) >= max_records and not s.should_stop:
            room.clear()
            await s.wait(room)  # the agent takes the batch, or the stream stops
        buffer.append(event)
        if on_buffered is not None:
            on_buffered(event)
        arrived.set()
        if len(buffer) >= max_records:
            full.set()
        return value

    enable_acks = s.enable_acks
    s.enable_acks = False  # acked here, after the agent is done with them
    s.add_processor(add_to_buffer)
    s._enable_passive(aiter(s.channel))
    try:
        while not s.should_stop:
            wait = within
            if not buffer:
                # Idle: sleep until a record arrives, then until the tick of the `within`
                # grid faust's loop would have taken it at (its timer woke every agent 200
                # times a second, busy or not; same batches, same latency).
                began = loop.time()
                await s.wait_for_stopped(arrived)
                if not buffer:
                    continue  # stopping
                if within > 0:  # 0: take what is there
                    ticks = max(1, math.ceil((loop.time() - began) / within))
                    wait = began + ticks * within - loop.time()
            if wait > 0:
                await s.wait_for_stopped(full, timeout=wait)
            taken = list(buffer)
            buffer.clear()
            arrived.clear()
            full.clear()
            room.set()
            yield taken
            for event in taken:
                await s.ack(event)
    finally:
        s.enable_acks = enable_acks
        s._processors.remove(add_to_buffer)


@contextlib.contextmanager
def as_current(event: faust.EventT | None) -> Iterator[None]:
    """Make `event` faust's current event, so table reads and writes use its partition.

    None: no current event, so a read looks in every partition's store — for a table keyed
    differently from the stream being processed (RocksDB answers only from the current
    event's partition otherwise)."""
    token = _current_event.set(None if event is None else weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class DeferredSends:
    """A `Send` that hands records to faust's producer and collects their delivery futures;
    `delivered()` waits for all of them (and raises if any failed).

    `hand_over` maps a (physical) topic name to a callback that gets the value of every
    record sent there as soon as the broker has acknowledged that record: the encounter
    agent's replies reach the HTTP ingress waiting in the same process without the Kafka
    hop back (docs/performance.md "Fifth round, second pass: the admission answer"). A
    record whose delivery failed is never handed over."""

    def __init__(self, app: faust.App,
                 hand_over: dict[str, Callable[[bytes], None]] | None = None) -> None:
        self.app = app
        self.hand_over = hand_over or {}
        self._pending: list[Awaitable[Any]] = []

    async def send(self, name: str, key: bytes | None, value: bytes) -> None:
        # faust's producer directly: `app.send` builds a Topic object per call (a third of
        # the cost of sending). Partition None: the key's partition (murmur2, as Java's).
        sent = await self.app.producer.send(name, key, value, None, None, None)
        self._pending.append(sent)
        if (take := self.hand_over.get(name)) is not None:
            # per record, not after the batch: waiting for the batch's slowest ack let the
            # reply topic's consumer win a third of the time (the 19:16 run)
            asyncio.ensure_future(sent).add_done_callback(
                lambda done: take(value) if not done.cancelled() and done.exception() is None
                else None)

    async def delivered(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.gather(*pending)


class DecodedCache(Generic[V]):
    """The decoded form of table values, so a worker's state is parsed once, not per message.

    A value is reused only while the table still holds the very bytes it was decoded from
    (compared on every read), so the table stays the truth: a rebalance, a recovery or a
    write by anyone else simply misses the cache. Bounded: least recently used first out.
    """

    def __init__(self, decode: Callable[[bytes], V], max_entries: int = 20_000) -> None:
        self.decode = decode
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[bytes, V]] = OrderedDict()

    def get(self, key: bytes, raw: bytes) -> V:
        hit = self._entries.get(key)
        if hit is not None and hit[0] == raw:
            self._entries.move_to_end(key)
            return hit[1]
        value = self.decode(raw)
        self.put(key, raw, value)
        return value

    def put(self, key: bytes, raw: bytes, value: V) -> None:
        self._entries[key] = (raw, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class BatchedState(Generic[V]):
    """Per-key decision state in a faust table, changed a batch at a time.

    `get` sees what earlier records of the batch decided, else the table (through a
    `DecodedCache`); `put` holds the new state in memory with the record it came from; `store`
    — called once the batch's outputs were delivered — writes each key's last state to the
    table, under that record's partition.
    """

    def __init__(self, table: Any, decode: Callable[[bytes], V], encode: Callable[[V], bytes],
                 empty: Callable[[], V]) -> None:
        self.table, self.encode, self.empty = table, encode, empty
        self.cache: DecodedCache[V] = DecodedCache(decode)
        self._decided: dict[bytes, tuple[faust.EventT, V]] = {}

    def get(self, key: bytes) -> V:
        if key in self._decided:  # an earlier record of this batch changed it
            return self._decided[key][1]
        raw = self.table.get(key)
        return self.empty() if raw is None else self.cache.get(key, raw)

    def put(self, key: bytes, event: faust.EventT, value: V) -> None:
        self._decided[key] = (event, value)

    @property
    def changed(self) -> bool:
        return bool(self._decided)

    def store(self) -> None:
        decided, self._decided = self._decided, {}
        for key, (event, value) in decided.items():
            with as_current(event):
                raw = self.encode(value)
                self.table[key] = raw
                self.cache.put(key, raw, value)


class Snapshots(BatchedState[V]):
    """Per-key state that every accepted record replaces whole (what the readers of
    registration-coverage keep): the handler never reads it back, so nothing is read from
    the table or cached. A cached copy of every snapshot cost encounter 1.7 KiB per worker
    (docs/performance.md, issue 15)."""

    def __init__(self, table: Any, encode: Callable[[V], bytes], empty: Callable[[], V]
                 ) -> None:
        super().__init__(table, lambda _raw: empty(), encode, empty)
        self.cache = DecodedCache(self.cache.decode, max_entries=0)

    def get(self, key: bytes) -> V:
        return self._decided[key][1] if key in self._decided else self.empty()


STALLED_AFTER = 15.0  # seconds without a record of a partition that has records waiting
POSITION_KEY = b"\x00position/"
"""Table keys of the input positions: a NUL byte no worker id (a resident id) can start with."""


@dataclass(frozen=True)
class FetchedMessage:
    """A record read straight from the broker to fill a hole: what agents read of a faust
    message (topic, partition, offset, key, value, timestamp in seconds, tp)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: float | None

    @property
    def tp(self) -> TP:
        return TP(self.topic, self.partition)


@dataclass(eq=False)
class FetchedEvent:
    """A faust-event look-alike for a fetched record (tables find its partition by it)."""

    message: FetchedMessage

    @property
    def key(self) -> bytes | None:
        return self.message.key

    @property
    def value(self) -> bytes | None:
        return self.message.value


HoleReader = Callable[[TP, int, int], Awaitable[list[FetchedMessage]]]
"""Read the records of a partition from `start` up to (not including) `end`."""


def broker_reader(bootstrap: str) -> HoleReader:
    """Read a range of one partition with a consumer of its own (no group, no commits)."""

    async def read(tp: TP, start: int, end: int) -> list[FetchedMessage]:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_security(), group_id=None,
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        try:
            part = TopicPartition(tp.topic, tp.partition)
            consumer.assign([part])
            consumer.seek(part, start)
            got: list[FetchedMessage] = []
            while await consumer.position(part) < end:
                for r in (await consumer.getmany(part, timeout_ms=500)).get(part, []):
                    if r.offset < end:
                        got.append(FetchedMessage(r.topic, r.partition, r.offset, r.key,
                                                  r.value, r.timestamp / 1000
                                                  if r.timestamp is not None else None))
            return got
        finally:
            await consumer.stop()

    return read


def bootstrap_of(app: faust.App) -> str:
    return ",".join(f"{url.host}:{url.port}" for url in app.conf.broker)


class InputPositions:
    """The next offset an agent must decide on each input partition: the agent's own
    checkpoint, so that a record faust never hands over is read and decided, not skipped.

    Why: after a crash during catch-up, faust 0.15.3 handed the encounter agent a partition
    with a hole (offsets 17-210 never delivered, 211 next; issue 14 finding 1, root cause in
    docs/architecture.md "Input positions"). Kafka's committed offset cannot be the truth: faust
    commits what it acked, and it acks what it skipped. So each batch is admitted here: a
    record at the expected offset is decided; one below it was decided already (a
    redelivery) and is passed by; one above it follows a hole, so the hole's records are
    read from the broker with a consumer of our own and decided first, in order. (Seeking
    faust's consumer back does not work: its fetch loop raises its read offset again from
    the records it had already fetched and then drops the refetched ones.)

    With `table`, positions are kept in the agent's state table under `POSITION_KEY` keys,
    written by `store` after the states (same table, same changelog partition: a position is
    never durable before the states it covers) and read back after a restart. Without a
    table they live in memory: holes within a run are still filled.
    """

    def __init__(self, app: faust.App, table: Any = None,
                 reader: HoleReader | None = None) -> None:
        self.app, self.table = app, table
        self._reader = reader
        self._memory: dict[Any, int] = {}
        self._decided: dict[Any, tuple[Any, int]] = {}
        self.holes = 0  # holes filled (a metric: should stay 0)
        self.redelivered = 0  # records passed by as already decided
        self._first: Any = None  # first decided record since `store`
        self._filled: list[tuple[TP, int, int]] = []  # holes filled since `store`
        self._releasing: set[asyncio.Future[None]] = set()
        self._seen_at: dict[TP, float] = {}  # when faust last handed over a record of each
        self._topics: set[str] = set()  # the input topics seen (the consumer serves others)
        self._stuck: dict[TP, int] = {}  # faust's committed offset seen below our position

    @staticmethod
    def key(tp: Any) -> bytes:
        return POSITION_KEY + f"{tp.topic}/{tp.partition}".encode()

    def expected(self, event: Any) -> int | None:
        tp = event.message.tp
        if tp in self._decided:
            return self._decided[tp][1]
        if self.table is None:
            return self._memory.get(tp)
        with as_current(event):
            raw = self.table.get(self.key(tp))
        return None if raw is None else int(raw)

    async def admit(self, events: Sequence[Any]) -> list[Any]:
        """The records to decide, in order: `events` less redeliveries, with the records of
        any hole before the event that reveals it (see the class docstring)."""
        admitted: list[Any] = []
        now = time.monotonic()
        for event in events:
            tp, offset = event.message.tp, event.message.offset
            self._seen_at[tp] = now
            self._topics.add(tp.topic)
            expected = self.expected(event)
            if expected is not None and offset < expected:
                self.redelivered += 1
                metrics.redelivered(tp.topic)
                continue
            if expected is not None and offset > expected:
                admitted += await self._fill(tp, expected, offset)
            self._decided[tp] = (event, offset + 1)
            admitted.append(event)
        if admitted and self._first is None:
            self._first = admitted[0]
        return admitted

    async def _fill(self, tp: TP, expected: int, seen: int) -> list[FetchedEvent]:
        """The records `expected` .. `seen` - 1 of `tp`, read from the broker (fewer if
        retention deleted some: those are logged, nothing can decide them any more)."""
        log.warning("%s: record %s handed over while %s was expected; reading %s-%s from "
                    "the broker", tp, seen, expected, expected, seen - 1)
        self.holes += 1
        metrics.rewound(tp.topic, tp.partition)
        reader = self._reader or broker_reader(bootstrap_of(self.app))
        fetched = [FetchedEvent(m) for m in await reader(tp, expected, seen)]
        first = fetched[0].message.offset if fetched else seen
        if first > expected:
            log.error("%s: offsets %s-%s were deleted before they were decided", tp,
                      expected, first - 1)
        for event in fetched:
            self._decided[tp] = (event, event.message.offset + 1)
        self._filled.append((tp, expected, seen - 1))
        return fetched

    def _release(self, filled: list[tuple[TP, int, int]]) -> None:
        """Let faust commit past holes whose records were decided: it never delivered them,
        so it would never ack them, and its committed offset (what `wic lag` reads) would
        stay below the hole. faust's own gap list is its way of skipping offsets it will not
        deliver (compacted topics)."""
        consumer = getattr(self.app, "consumer", None)
        add_gap = getattr(consumer, "_add_gap", None)
        if add_gap is None:
            return
        for tp, first, last in filled:
            self._releasing.add(asyncio.ensure_future(add_gap(tp, first, last)))
        self._releasing = {f for f in self._releasing if not f.done()}

    def attach(self, app: faust.App, *topics: str) -> InputPositions:
        """Watch for stalled partitions (`watch`) as a task of the app: those of `topics`
        (physical names) and of every topic a record was seen of."""
        self._topics.update(topics)

        async def watch_input_partitions() -> None:
            await self.watch()

        app.task(watch_input_partitions)
        return self

    async def watch(self, every: float = 5.0, stalled_after: float = STALLED_AFTER) -> None:
        """Run beside the agent: a partition of ours with records past our position, none of
        which faust handed over for `stalled_after` seconds, is resumed and sought to our
        position (seen in the chaos run: after a crash and a rebalance faust left one
        partition undelivered, 642 messages unanswered, /health 200)."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.unstall(stalled_after)
            except asyncio.CancelledError:
                raise
            except Exception:  # a broker away: the next round tries again
                log.exception("checking the input partitions for a stall failed")

    async def unstall(self, stalled_after: float = STALLED_AFTER) -> list[TP]:
        """One round of `watch`; returns the partitions it moved."""
        app = self.app
        recovery = app.tables.recovery  # type: ignore[attr-defined]
        if app.rebalancing or recovery.in_recovery or not recovery.completed.is_set():
            return []  # faust pauses partitions while it recovers tables: not a stall
        now = time.monotonic()
        ours = [tp for tp in app.consumer.assignment() if tp.topic in self._topics]
        await self._unstick_commits(ours)
        for tp in ours:
            self._seen_at.setdefault(tp, now)  # a partition never handed over counts too
        quiet = [tp for tp in ours if now - self._seen_at[tp] > stalled_after]
        if not quiet:
            return []
        ends = await app.consumer.highwaters(*quiet)
        moved = []
        for tp in quiet:
            position = await self.resume_point(tp)
            if self._seen_at[tp] > now:
                continue  # handed over while we asked (after a broker outage): not stalled
            if position is None or ends.get(tp, 0) <= position:
                continue
            log.warning("%s: nothing handed over for %.0f s while records %s-%s wait; "
                        "resuming it from %s", tp, now - self._seen_at[tp], position,
                        ends[tp] - 1, position)
            metrics.rewound(tp.topic, tp.partition)
            app.consumer.resume_partitions([tp])
            await app.consumer.seek_wait({tp: position})
            self._seen_at[tp] = now
            moved.append(tp)
        return moved

    async def _unstick_commits(self, ours: list[TP]) -> None:
        """faust commits only the acked offsets that follow its committed one: a record it
        dropped after a seek is never acked, and its committed offset (what `wic lag`
        reads) stays there for ever although we decided everything before our position
        (the chaos test: a lag of 751 on one partition, every message answered). An offset
        stuck below our stored position for two rounds is committed up to it: everything
        before that position has its outputs delivered and its state stored. (faust's gap
        list would not do: it is read only when a later record is acked, and a quiet
        partition has none.)"""
        consumer: Any = self.app.consumer  # faust internals (docs/assumptions.md)
        committed_offsets = getattr(consumer, "_committed_offset", None)
        if committed_offsets is None or not hasattr(consumer, "_commit_offsets"):
            return
        for tp in ours:
            committed, position = committed_offsets.get(tp), self.stored(tp)
            if committed is None or position is None or committed + 1 >= position:
                self._stuck.pop(tp, None)
                continue
            if self._stuck.get(tp) == committed:  # not moved since the last round
                log.warning("%s: committed offset %s stuck below the position %s; "
                            "committing the position", tp, committed, position)
                await consumer.maybe_wait_for_commit_to_finish()
                await consumer._commit_offsets({tp: position})
            self._stuck[tp] = committed

    async def resume_point(self, tp: TP) -> int | None:
        """Where a stalled partition goes on from: our stored position; for a partition we
        never decided on, faust's committed offset, else the log's start."""
        position = self.stored(tp)
        if position is None:
            position = self.app.consumer._committed_offset.get(tp)  # type: ignore[attr-defined]
        if position is None:
            position = (await self.app.consumer.earliest_offsets(tp)).get(tp)
        return position

    async def resume_from_group(self, tps: Iterable[TP]) -> None:
        """Partitions taken over from another worker (or from this one before a crash), for
        an agent whose positions live in memory: expect each at the group's committed
        offset (what the previous owner acked), not at the first record faust hands over.
        faust can skip a range right after taking a partition over while it recovers
        tables (the holes of issue 14 finding 1); with nothing expected, the first record
        after such a range looked like the start and the range was never decided (issue 17:
        settlements never posted after the active clearing worker was SIGKILLed). A
        committed offset below what was decided only makes redeliveries, which the state
        passes by. No commit yet: expect offset 0 (the group reads from the earliest)."""
        from aiokafka import TopicPartition
        from aiokafka.admin import AIOKafkaAdminClient

        wanted = list(tps)
        if not wanted:
            return
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_of(self.app), **kafka_security())
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.app.conf.id)
        finally:
            await admin.close()
        committed = {}
        for tp in wanted:
            found = offsets.get(TopicPartition(tp.topic, tp.partition))
            committed[tp] = found.offset if found is not None and found.offset >= 0 else 0
        self.resume_at(committed)
        log.warning("taken over; expecting %s",
                    {f"{tp.topic}/{tp.partition}": o for tp, o in committed.items()})

    def resume_at(self, offsets: dict[TP, int]) -> None:
        """Expect each partition at `offsets` (see `resume_from_group`)."""
        self._memory.update(offsets)

    def stored(self, tp: TP) -> int | None:
        """The position stored for `tp` (not this batch's): memory, or the table."""
        if self.table is None:
            return self._memory.get(tp)
        with as_current(None):  # the key names its partition; look in every store
            raw = self.table.get(self.key(tp))
        return None if raw is None else int(raw)

    @property
    def changed(self) -> bool:
        return bool(self._decided)

    def store(self) -> None:
        """Write each partition's next offset (after the batch's states were stored)."""
        decided, self._decided = self._decided, {}
        first, self._first = self._first, None
        filled, self._filled = self._filled, []
        if first is not None:  # outputs delivered, states stored: the batch is decided
            metrics.decided(first.message.topic, getattr(first.message, "timestamp", None))
        for tp, (event, after) in decided.items():
            if self.table is None:
                self._memory[tp] = after
                continue
            with as_current(event):
                self.table[self.key(tp)] = str(after).encode()
        if filled:  # their outputs are delivered and their positions stored
            self._release(filled)
