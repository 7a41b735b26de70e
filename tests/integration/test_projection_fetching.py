"""How a live read model reads the log: few, larger transactions; Kafka offsets for `wic lag`.

Exactly-once effects rest on the checkpoints in PostgreSQL (test_projection_exactly_once);
these tests pin the two ways a live `ProjectionRunner` saves work without touching them: the
broker holds a fetch until records pile up (so a trickle of events is applied in a few
transactions, not one per event), and the Kafka offsets that `wic lag` reads are committed
at most once per `commit_interval`, yet still catch up with the checkpoints when the read
model falls idle and when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from contracts import envelope, wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.runtime.projection import Progress, ProjectionRunner, load_checkpoints
from contracts.settings import kafka_security
from contracts.topics import HOSPITAL_REPLIES
from tests.support.counting_projection import CountingProjection, prepare, wait_counted
from tests.support.kafka import Bus

pytestmark = pytest.mark.integration
WHEN = datetime(2024, 5, 1, tzinfo=UTC)


def reply(i: int) -> bytes:
    msg = MessageAccepted(ref_event_id=uuid.UUID(int=i + 1), ref_type="Probe")
    return wire.encode(envelope.new(msg, key=f"H{i % 3}", occurred_at=WHEN, source="test"))


async def send(bus: Bus, prefix: str, first: int, count: int, gap: float = 0.0) -> None:
    for i in range(first, first + count):
        await bus.producer.send_and_wait(HOSPITAL_REPLIES.name(prefix), reply(i),
                                         key=f"H{i % 3}".encode())
        if gap:
            await asyncio.sleep(gap)


async def kafka_offsets(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_security())
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group)
        return {(tp.topic, tp.partition): meta.offset for tp, meta in found.items()
                if meta.offset >= 0}
    finally:
        await admin.close()


async def checkpoints(url: str, schema: str) -> dict[tuple[str, int], int]:
    conn = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        return await load_checkpoints(conn, CountingProjection.name)
    finally:
        await conn.close()


async def test_a_trickle_of_events_is_applied_in_a_few_transactions(
        bus: Bus, bootstrap: str, database_url: str, prefix: str) -> None:
    """100 events 5 ms apart: the broker holds each fetch up to `fetch_max_wait_ms`, so the
    runner applies them in a handful of batches (one transaction each), where a fetch
    answered at the first byte would apply them one or two at a time."""
    schema = "trickle"
    await prepare(database_url, schema)
    conn = await asyncpg.connect(database_url)
    batches: list[int] = []
    seen = 0

    def on_batch(progress: Progress) -> None:
        nonlocal seen
        batches.append(progress.applied - seen)
        seen = progress.applied

    runner = ProjectionRunner(CountingProjection(), bootstrap, database_url, schema,
                              prefix=prefix, group=f"{prefix}trickle", on_batch=on_batch)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await send(bus, prefix, 0, 1)  # the group is joined and reading before the trickle
        await wait_counted(conn, schema, lambda n: n >= 1)
        batches.clear()
        seen = runner.progress.applied
        await send(bus, prefix, 1, 100, gap=0.005)
        await wait_counted(conn, schema, lambda n: n >= 101)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await conn.close()
    assert sum(batches) == 100
    assert len(batches) <= 100 // 3, f"{len(batches)} transactions for 100 events: {batches}"


async def test_kafka_offsets_follow_the_checkpoints_when_idle_and_on_stop(
        bus: Bus, bootstrap: str, database_url: str, prefix: str) -> None:
    """`wic lag` reads the group's Kafka offsets: throttled to one commit per interval, they
    still reach the PostgreSQL checkpoints once the read model is idle, and on stop."""
    schema = "lagging"
    await prepare(database_url, schema)
    conn = await asyncpg.connect(database_url)
    group = f"{prefix}lagging"
    runner = ProjectionRunner(CountingProjection(), bootstrap, database_url, schema,
                              prefix=prefix, group=group, commit_interval=0.5)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await send(bus, prefix, 1000, 40)
        await wait_counted(conn, schema, lambda n: n >= 40)
        truth = await checkpoints(database_url, schema)
        deadline = time.monotonic() + 10
        while (committed := await kafka_offsets(bootstrap, group)) != truth:
            assert time.monotonic() < deadline, f"Kafka {committed} never reached {truth}"
            await asyncio.sleep(0.2)
        await send(bus, prefix, 2000, 10)
        await wait_counted(conn, schema, lambda n: n >= 50)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await conn.close()
    assert await kafka_offsets(bootstrap, group) == await checkpoints(database_url, schema)


async def test_kafka_offsets_catch_up_with_checkpoints_a_killed_runner_left_uncommitted(
        bus: Bus, bootstrap: str, database_url: str, prefix: str) -> None:
    """Issue 14 (chaos run, CI): a read model SIGKILLed after its transaction and before its
    Kafka commit leaves the group's offsets behind the checkpoints. The runner started after
    it has nothing new to apply, yet must bring the offsets up to the checkpoints, or
    `wic lag` shows a lag that never drains."""
    schema = "killed"
    await prepare(database_url, schema)
    conn = await asyncpg.connect(database_url)
    group = f"{prefix}killed"
    first = ProjectionRunner(CountingProjection(), bootstrap, database_url, schema,
                             prefix=prefix, group=group, commit_interval=3600,
                             _committed_at=time.monotonic())  # no Kafka commit in the run
    stop = asyncio.Event()
    task = asyncio.create_task(first.run(stop))
    try:
        await send(bus, prefix, 3000, 30)
        await wait_counted(conn, schema, lambda n: n >= 30)
    finally:
        task.cancel()  # no commit on the way out, as after a SIGKILL
        first._uncommitted.clear()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await conn.close()
    truth = await checkpoints(database_url, schema)

    def caught_up(committed: dict[tuple[str, int], int]) -> bool:
        return all(committed.get(tp) == offset for tp, offset in truth.items())

    assert not caught_up(await kafka_offsets(bootstrap, group))  # the state the kill leaves
    second = ProjectionRunner(CountingProjection(), bootstrap, database_url, schema,
                              prefix=prefix, group=group, commit_interval=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(second.run(stop))
    try:
        deadline = time.monotonic() + 20
        while not caught_up(committed := await kafka_offsets(bootstrap, group)):
            assert time.monotonic() < deadline, f"Kafka {committed} never reached {truth}"
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


class CallCountingProjection(CountingProjection):
    """A `BatchProjection` that records each `apply_many` call's events."""

    def __init__(self) -> None:
        super().__init__(name="calls")
        self.calls: list[list[Envelope[Message]]] = []

    async def apply_many(self, conn: asyncpg.Connection,
                         events: list[Envelope[Message]]) -> None:
        self.calls.append(list(events))
        for event in events:
            await self.apply(conn, event)


async def test_a_fetch_over_several_partitions_is_applied_in_one_call(
        bus: Bus, bootstrap: str, database_url: str, prefix: str) -> None:
    """Issue 21 (target 1): with twelve partitions per topic a fetch spans many of them,
    and a call per partition was up to twelve times the statements of one per fetch. The
    runner hands a projection the whole fetch at once, each partition's events in offset
    order, one partition after another: the rows are those of applying them one by one."""
    schema = "onecall"
    await prepare(database_url, schema)
    topic = HOSPITAL_REPLIES.name(prefix)
    for i in range(30):  # ten events in each of partitions 0, 1, 2, there before the start
        await bus.producer.send_and_wait(topic, reply(5000 + i), key=b"K", partition=i % 3)
    projection = CallCountingProjection()
    fetches = 0

    def on_batch(_progress: Progress) -> None:
        nonlocal fetches
        fetches += 1

    def mine(call: list[Envelope[Message]]) -> list[int]:  # earlier tests' events too
        ids = [e.payload.ref_event_id.int for e in call]  # type: ignore[attr-defined]
        return [i for i in ids if 5001 <= i <= 5030]

    runner = ProjectionRunner(projection, bootstrap, database_url, schema, prefix=prefix,
                              group=f"{prefix}onecall", on_batch=on_batch)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        deadline = time.monotonic() + 30
        while sum(len(mine(c)) for c in projection.calls) < 30:
            assert time.monotonic() < deadline, "the 30 events were never applied"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert len(projection.calls) <= fetches  # never more than one call per fetch
    assert max(len(mine(call)) for call in projection.calls) > 10, (
        f"no call spanned two partitions: {[len(mine(c)) for c in projection.calls]}")
    for call in projection.calls:  # each partition's events keep their offset order
        ids = mine(call)
        for part in range(3):
            of_part = [i for i in ids if (i - 5001) % 3 == part]
            assert of_part == sorted(of_part)
