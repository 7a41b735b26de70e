"""Input positions: an agent decides every record of a partition once, in order, even when
faust hands it a partition with a hole (issue 14 finding 1: offsets 17-210 never delivered
after a crash during catch-up)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from faust.types import TP

from contracts.runtime.batching import FetchedEvent, FetchedMessage, InputPositions

TOPIC = "hospital-messages"


@dataclass
class Message:
    topic: str
    partition: int
    offset: int

    @property
    def tp(self) -> TP:
        return TP(self.topic, self.partition)


@dataclass
class Event:
    message: Message


@dataclass
class Broker:
    """The partition's log as the broker holds it: every offset from `earliest` on."""

    earliest: int = 0
    reads: list[tuple[TP, int, int]] = field(default_factory=list)

    async def read(self, tp: TP, start: int, end: int) -> list[FetchedMessage]:
        self.reads.append((tp, start, end))
        return [FetchedMessage(tp.topic, tp.partition, o, b"k", f"v{o}".encode(), None)
                for o in range(max(start, self.earliest), end)]


def events(*offsets: int, partition: int = 0) -> list[Any]:
    return [Event(Message(TOPIC, partition, o)) for o in offsets]


def offsets(admitted: list[Any]) -> list[int]:
    return [e.message.offset for e in admitted]


def admit(positions: InputPositions, *batch: int, partition: int = 0) -> list[int]:
    got = asyncio.run(positions.admit(events(*batch, partition=partition)))
    positions.store()
    return offsets(got)


def memory_positions(earliest: int = 0) -> tuple[InputPositions, Broker]:
    broker = Broker(earliest)
    return InputPositions(None, None, reader=broker.read), broker  # type: ignore[arg-type]


def test_a_hole_is_read_from_the_broker_and_decided_first_in_order() -> None:
    """Finding 1: 8-10 delivered, then 15: 11-14 are read from the broker and decided
    before 15, in order; nothing is asked of faust's consumer."""
    positions, broker = memory_positions()
    assert admit(positions, 8, 9, 10) == [8, 9, 10]
    assert admit(positions, 15, 16) == [11, 12, 13, 14, 15, 16]
    assert broker.reads == [(TP(TOPIC, 0), 11, 15)]
    assert positions.holes == 1


def test_a_hole_then_faust_handing_it_over_after_all_decides_nothing_twice() -> None:
    positions, _ = memory_positions()
    admit(positions, 0, 1)
    assert admit(positions, 5) == [2, 3, 4, 5]
    assert admit(positions, 2, 3, 4, 5, 6) == [6]
    assert positions.redelivered == 4


def test_a_redelivered_record_is_passed_by_not_decided_twice() -> None:
    positions, broker = memory_positions()
    admit(positions, 0, 1, 2)
    assert admit(positions, 1, 2, 3) == [3]
    assert positions.redelivered == 2 and broker.reads == []


def test_partitions_are_tracked_apart() -> None:
    positions, _ = memory_positions()
    admit(positions, 5, 6, partition=0)
    assert admit(positions, 100, partition=1) == [100]  # first record seen on partition 1
    assert admit(positions, 7, partition=0) == [7]


def test_a_hole_deleted_by_retention_is_not_waited_for() -> None:
    """If the log no longer holds part of the hole, what is left of it is decided."""
    positions, _ = memory_positions(earliest=500)
    admit(positions, 3)
    assert admit(positions, 502) == [500, 501, 502]


def test_fetched_records_read_like_faust_events() -> None:
    """What the agents read of an event: message topic/partition/offset/key/value/tp,
    event key and value."""
    positions, _ = memory_positions()
    admit(positions, 0)
    [filled, _seen] = asyncio.run(positions.admit(events(2)))[:2]
    assert isinstance(filled, FetchedEvent)
    assert (filled.message.tp, filled.message.offset, filled.key, filled.value) == (
        TP(TOPIC, 0), 1, b"k", b"v1")


class Table(dict[bytes, bytes]):
    """A faust table as the agent sees it (get / set by key)."""


def test_positions_kept_in_the_state_table_survive_a_restart() -> None:
    """With a table, a new process (a restart) continues from the stored position: if
    Kafka's committed offset went past unanswered records, they are read and decided."""
    table = Table()
    first = InputPositions(None, table, reader=Broker().read)  # type: ignore[arg-type]
    admit(first, 0, 1, 2)
    assert table[InputPositions.key(TP(TOPIC, 0))] == b"3"
    broker = Broker()
    restarted = InputPositions(None, table, reader=broker.read)  # type: ignore[arg-type]
    assert admit(restarted, 6, 7) == [3, 4, 5, 6, 7]  # faust resumed past 3
    assert broker.reads == [(TP(TOPIC, 0), 3, 6)]
    assert table[InputPositions.key(TP(TOPIC, 0))] == b"8"


def test_nothing_is_stored_before_store() -> None:
    """A batch's positions are written only after its outputs (and states) are delivered:
    a crash before that decides the batch again."""
    table = Table()
    positions = InputPositions(None, table, reader=Broker().read)  # type: ignore[arg-type]
    asyncio.run(positions.admit(events(0, 1)))
    assert table == {}
    positions.store()
    assert table == {InputPositions.key(TP(TOPIC, 0)): b"2"}


@dataclass
class GapConsumer:
    gaps: list[tuple[TP, int, int]] = field(default_factory=list)

    async def _add_gap(self, tp: TP, first: int, last: int) -> None:
        self.gaps.append((tp, first, last))


@dataclass
class GapApp:
    consumer: GapConsumer = field(default_factory=GapConsumer)


def test_a_filled_hole_is_released_to_faust_only_once_stored() -> None:
    """faust never delivered the hole, so it would never ack it and its committed offset
    (what `wic lag` and the chaos run's quiescence read) would stay below the hole: once
    the hole's outputs are delivered and its position stored, faust is told to skip it."""
    app = GapApp()
    positions = InputPositions(app, None, reader=Broker().read)  # type: ignore[arg-type]

    async def run() -> None:
        await positions.admit(events(0))
        positions.store()
        await positions.admit(events(5))
        await asyncio.sleep(0)
        assert app.consumer.gaps == []  # decided, not yet delivered
        positions.store()
        await asyncio.sleep(0)

    asyncio.run(run())
    assert app.consumer.gaps == [(TP(TOPIC, 0), 1, 4)]


@dataclass
class StallConsumer:
    ends: dict[TP, int]
    _committed_offset: dict[TP, int] = field(default_factory=dict)
    resumed: list[TP] = field(default_factory=list)
    sought: list[dict[TP, int]] = field(default_factory=list)

    def assignment(self) -> set[TP]:
        return set(self.ends) | {TP("a-changelog", 0)}

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.ends[tp] for tp in tps}

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: 0 for tp in tps}

    def resume_partitions(self, tps: list[TP]) -> None:
        self.resumed += tps

    async def seek_wait(self, positions: dict[TP, int]) -> None:
        self.sought.append(positions)


class Done:
    def is_set(self) -> bool:
        return True


@dataclass
class Recovery:
    in_recovery: bool = False
    completed: Done = field(default_factory=Done)


@dataclass
class Tables:
    recovery: Recovery = field(default_factory=Recovery)


@dataclass
class StallApp:
    consumer: StallConsumer
    rebalancing: bool = False
    tables: Tables = field(default_factory=Tables)


def test_a_partition_faust_stopped_handing_over_is_resumed_from_our_position() -> None:
    """Chaos run: after a crash and a rebalance faust handed over nothing more of one
    partition (642 messages unanswered, committed offset frozen, /health 200). A partition
    with records past our position and none handed over for a while is resumed and sought to
    the position; one that is merely idle, or faust still recovering, is left alone."""
    p0, p1 = TP(TOPIC, 0), TP(TOPIC, 1)
    app = StallApp(StallConsumer({p0: 3, p1: 700}))
    positions = InputPositions(app, None, reader=Broker().read)  # type: ignore[arg-type]
    admit(positions, 0, 1, 2, partition=0)
    admit(positions, 40, 41, 42, 43, 44, partition=1)
    assert asyncio.run(positions.unstall(stalled_after=60)) == []  # not quiet long enough
    app.tables.recovery.in_recovery = True
    assert asyncio.run(positions.unstall(stalled_after=0)) == []
    app.tables.recovery.in_recovery = False
    assert asyncio.run(positions.unstall(stalled_after=0)) == [p1]  # p0 is idle, at its end
    assert app.consumer.resumed == [p1] and app.consumer.sought == [{p1: 45}]


def test_a_partition_never_handed_over_since_start_is_resumed_from_faust_committed() -> None:
    """A topic the agent was attached to, whose partition faust never handed over at all
    (the chaos run: two prepayments never answered by clearing): resumed from the group's
    committed offset, or the log's start if none."""
    p0, p1 = TP("clearing-commands", 0), TP("settlement-events", 0)
    app = StallApp(StallConsumer({p0: 2, p1: 9}, _committed_offset={p1: 4}))
    positions = InputPositions(app, None, reader=Broker().read)  # type: ignore[arg-type]
    positions._topics.update({"clearing-commands", "settlement-events"})
    asyncio.run(positions.unstall(stalled_after=60))  # first look: the clock starts
    assert sorted(asyncio.run(positions.unstall(stalled_after=0))) == [p0, p1]
    assert app.consumer.sought == [{p0: 0}, {p1: 4}] or app.consumer.sought == [
        {p1: 4}, {p0: 0}]


def test_a_partition_handed_over_while_the_watcher_asks_is_not_sought_back() -> None:
    """The chaos run in `make test`: after the broker restart nothing was handed over for
    20 s (the broker was away), then records flowed again while the watcher asked for the
    high-water marks; it sought all four partitions back anyway ("nothing handed over for
    -20 s"). A partition handed over meanwhile is not stalled."""
    p1 = TP(TOPIC, 1)
    consumer = StallConsumer({p1: 700})
    app = StallApp(consumer)
    positions = InputPositions(app, None, reader=Broker().read)  # type: ignore[arg-type]
    admit(positions, 40, 41, partition=1)

    async def highwaters(*tps: TP) -> dict[TP, int]:
        await positions.admit(events(42, partition=1))  # handed over meanwhile
        positions.store()
        return {tp: consumer.ends[tp] for tp in tps}

    consumer.highwaters = highwaters  # type: ignore[method-assign]
    assert asyncio.run(positions.unstall(stalled_after=0)) == []
    assert consumer.sought == []


def test_a_committed_offset_stuck_below_our_position_is_committed_up_to_it() -> None:
    """The chaos test in `make test`: after the watcher sought a stalled partition, faust's
    committed offset stayed 751 below what was decided (faust commits only acked offsets
    following its committed one, and never acks a record it dropped): `wic lag` never
    drained. Stuck for two rounds below our stored position, it is committed up to that
    position, without a later record acked (the partition is quiet)."""
    p1 = TP(TOPIC, 1)
    commits: list[dict[TP, int]] = []

    @dataclass
    class CommittingConsumer(StallConsumer):
        async def maybe_wait_for_commit_to_finish(self) -> bool:
            return False

        async def _commit_offsets(self, offsets: dict[TP, int]) -> bool:
            commits.append(dict(offsets))
            self._committed_offset.update(offsets)
            return True

    consumer = CommittingConsumer({p1: 50}, _committed_offset={p1: 10})
    app = StallApp(consumer)
    positions = InputPositions(app, None, reader=Broker().read)  # type: ignore[arg-type]
    positions._memory[p1] = 50  # everything before 50 decided and stored
    positions._topics.add(TOPIC)
    asyncio.run(positions.unstall(stalled_after=60))
    assert commits == []  # first sight: faust may simply not have committed yet
    asyncio.run(positions.unstall(stalled_after=60))
    assert commits == [{p1: 50}]
    asyncio.run(positions.unstall(stalled_after=60))
    asyncio.run(positions.unstall(stalled_after=60))
    assert len(commits) == 1  # caught up: nothing more to commit


def test_a_partition_taken_over_is_expected_at_the_committed_offset() -> None:
    """Issue 17: a worker taking over the ledger's inputs from a SIGKILLed one expects each
    partition at the group's committed offset (130); faust handing over 145 first then
    reveals 130-144 as a hole, read and decided first — not skipped as the start (11
    settlements were never posted before this)."""
    positions, broker = memory_positions()
    positions.resume_at({TP(TOPIC, 2): 130})
    assert admit(positions, 145, 146, partition=2) == list(range(130, 147))
    assert broker.reads == [(TP(TOPIC, 2), 130, 145)]
    assert admit(positions, 120, partition=2) == []  # below: decided by the previous owner
