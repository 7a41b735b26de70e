"""Input positions: an agent decides every record of a partition once, in order, even when
faust hands it a partition with a hole (issue 14 finding 1: offsets 17-210 never delivered
after a crash during catch-up)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from faust.types import TP

from contracts.runtime.batching import InputPositions

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
class Consumer:
    earliest: int = 0
    seeks: list[tuple[TP, int]] = field(default_factory=list)

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.earliest for tp in tps}

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))


@dataclass
class App:
    consumer: Consumer = field(default_factory=Consumer)


def events(*offsets: int, partition: int = 0) -> list[Any]:
    return [Event(Message(TOPIC, partition, o)) for o in offsets]


def offsets(admitted: list[Any]) -> list[int]:
    return [e.message.offset for e in admitted]


def admit(positions: InputPositions, *batch: int, partition: int = 0) -> list[int]:
    got = asyncio.run(positions.admit(events(*batch, partition=partition)))
    positions.store()
    return offsets(got)


def memory_positions(earliest: int = 0) -> tuple[InputPositions, Consumer]:
    app = App(Consumer(earliest))
    return InputPositions(app, None), app.consumer  # type: ignore[arg-type]


def test_a_hole_is_rewound_and_the_records_after_it_wait_for_their_turn() -> None:
    """Finding 1: 8-16 delivered, then 211: the partition goes back to 17, and 211-213 are
    not decided before 17-210 (they come round again after the seek)."""
    positions, consumer = memory_positions()
    assert admit(positions, 8, 9, 10) == [8, 9, 10]
    assert admit(positions, 211, 212, 213) == []
    assert consumer.seeks == [(TP(TOPIC, 0), 11)]
    assert admit(positions, 11, 12) == [11, 12]
    assert positions.holes == 1


def test_records_fetched_before_the_seek_do_not_rewind_again() -> None:
    positions, consumer = memory_positions()
    admit(positions, 0, 1)
    admit(positions, 50)
    admit(positions, 51, 52)  # still the stale fetch, moments after the rewind
    assert consumer.seeks == [(TP(TOPIC, 0), 2)]


def test_a_redelivered_record_is_passed_by_not_decided_twice() -> None:
    positions, consumer = memory_positions()
    admit(positions, 0, 1, 2)
    assert admit(positions, 1, 2, 3) == [3]
    assert positions.redelivered == 2 and consumer.seeks == []


def test_partitions_are_tracked_apart() -> None:
    positions, _ = memory_positions()
    admit(positions, 5, 6, partition=0)
    assert admit(positions, 100, partition=1) == [100]  # first record seen on partition 1
    assert admit(positions, 7, partition=0) == [7]


def test_a_hole_deleted_by_retention_is_not_waited_for() -> None:
    """If the log no longer holds the expected offset, there is nothing to fetch again."""
    positions, consumer = memory_positions(earliest=500)
    admit(positions, 3)
    assert admit(positions, 600) == [600] and consumer.seeks == []


class Table(dict[bytes, bytes]):
    """A faust table as the agent sees it (get / set by key)."""


def test_positions_kept_in_the_state_table_survive_a_restart() -> None:
    """With a table, a new process (a restart) continues from the stored position: if
    Kafka's committed offset went past unanswered records, they are fetched again."""
    table = Table()
    first = InputPositions(App(), table)  # type: ignore[arg-type]
    admit(first, 0, 1, 2)
    assert table[InputPositions.key(TP(TOPIC, 0))] == b"3"
    app = App()
    restarted = InputPositions(app, table)  # type: ignore[arg-type]
    assert admit(restarted, 40, 41) == []  # faust resumed from a committed offset past 3
    assert app.consumer.seeks == [(TP(TOPIC, 0), 3)]


def test_nothing_is_stored_before_store() -> None:
    """A batch's positions are written only after its outputs (and states) are delivered:
    a crash before that decides the batch again."""
    table = Table()
    positions = InputPositions(App(), table)  # type: ignore[arg-type]
    asyncio.run(positions.admit(events(0, 1)))
    assert table == {}
    positions.store()
    assert table == {InputPositions.key(TP(TOPIC, 0)): b"2"}
