"""The decoded-state cache agents keep beside their faust tables, the root-logger fix, and
how an agent's stream is cut into batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

from contracts.runtime.batching import BatchedState, DecodedCache, Snapshots, batches
from contracts.runtime.faust_app import _root_logger_at_cli_level


def counting_decoder() -> tuple[DecodedCache[dict[str, int]], list[bytes]]:
    calls: list[bytes] = []

    def decode(raw: bytes) -> dict[str, int]:
        calls.append(raw)
        return {"n": int(raw)}

    return DecodedCache(decode, max_entries=2), calls


def test_decoded_value_reused_while_the_table_holds_the_same_bytes() -> None:
    cache, calls = counting_decoder()
    first = cache.get(b"w1", b"1")
    assert cache.get(b"w1", b"1") is first and calls == [b"1"]


def test_changed_bytes_in_the_table_are_decoded_again() -> None:
    """The table stays the truth: after a rebalance or another writer, the bytes differ and
    the cached object is not used."""
    cache, calls = counting_decoder()
    cache.get(b"w1", b"1")
    assert cache.get(b"w1", b"2") == {"n": 2} and calls == [b"1", b"2"]


def test_put_after_a_write_avoids_decoding_what_was_just_encoded() -> None:
    cache, calls = counting_decoder()
    cache.put(b"w1", b"7", {"n": 7})
    assert cache.get(b"w1", b"7") == {"n": 7} and calls == []


def test_bounded_least_recently_used_leaves_first() -> None:
    cache, calls = counting_decoder()
    cache.get(b"w1", b"1")
    cache.get(b"w2", b"2")
    cache.get(b"w1", b"1")  # w1 used again: w2 is now the oldest
    cache.get(b"w3", b"3")
    cache.get(b"w1", b"1")
    cache.get(b"w2", b"2")
    assert calls == [b"1", b"2", b"3", b"2"]


class Record:
    """Stands for a faust event (only needs to be weak-referenceable here)."""


def test_batched_state_table_written_only_at_store_with_each_keys_last_state() -> None:
    """A later record of the batch sees the earlier one's state; nothing reaches the table
    before `store` (which an agent calls only after the batch's outputs were delivered)."""
    table: dict[bytes, bytes] = {b"w1": b"1"}
    state = BatchedState(table, lambda raw: int(raw), lambda n: str(n).encode(), lambda: 0)
    assert state.get(b"w1") == 1 and state.get(b"w2") == 0
    state.put(b"w1", Record(), 2)
    state.put(b"w1", Record(), state.get(b"w1") + 1)
    state.put(b"w2", Record(), 5)
    assert state.get(b"w1") == 3 and state.changed
    assert table == {b"w1": b"1"}
    state.store()
    assert table == {b"w1": b"3", b"w2": b"5"} and not state.changed
    assert state.get(b"w1") == 3


class NoReads(dict[bytes, bytes]):
    def get(self, key: object, default: object = None) -> bytes | None:  # type: ignore[override]
        raise AssertionError("a snapshot reader never reads its table back")


def test_snapshots_are_written_at_store_and_never_read_back_or_cached() -> None:
    """registration-coverage's readers replace a worker's snapshot whole: the table is not
    read per record, and no copy of every snapshot is held in memory."""
    table = NoReads()
    state = Snapshots(table, lambda raw: raw, bytes)
    assert state.get(b"w1") == b""
    state.put(b"w1", Record(), b"one")
    state.put(b"w1", Record(), b"two")
    assert state.get(b"w1") == b"two"  # an earlier record of the batch
    state.store()
    assert dict(table) == {b"w1": b"two"} and state.cache._entries == {}
    assert state.get(b"w1") == b""


def test_root_logger_takes_the_console_level_back_from_fausts_spinner() -> None:
    """faust's worker leaves the root logger at DEBUG under `-l warn` (for its spinner);
    every aiokafka debug call then builds a LogRecord. The startup task restores the level
    of the console handler."""
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    try:
        root.handlers[:] = [console]
        root.setLevel(logging.DEBUG)
        asyncio.run(_root_logger_at_cli_level())
        assert root.level == logging.WARNING
        assert not logging.getLogger("aiokafka").isEnabledFor(logging.DEBUG)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


class _Event:
    def __init__(self, value: int) -> None:
        self.value = value


class _Stream:
    """The part of faust's Stream that `batches` uses: its processors, its current event,
    acks and waits (faust 0.15.3's own take_events uses the same)."""

    def __init__(self) -> None:
        self.current_event: _Event | None = None
        self.enable_acks = True
        self.should_stop = False
        self._processors: list[Any] = []
        self.acked: list[int] = []
        self.waits = 0  # wake-ups of the batching loop
        self.channel = self

    def __aiter__(self) -> _Stream:
        return self

    async def __anext__(self) -> None:
        raise StopAsyncIteration  # never read: the records come through `feed`

    def add_processor(self, processor: Any) -> None:
        self._processors.append(processor)

    def _enable_passive(self, _channel: Any) -> None:
        pass  # the records come through `feed`

    async def feed(self, value: int) -> None:
        """What faust's passive drainer does per record: make it current, run processors."""
        self.current_event = _Event(value)
        for processor in self._processors:
            await processor(value)

    async def wait_for_stopped(self, event: asyncio.Event, timeout: float | None = None
                               ) -> None:
        self.waits += 1
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def wait(self, event: asyncio.Event) -> None:
        await event.wait()

    async def ack(self, event: _Event) -> None:
        self.acked.append(event.value)


async def test_records_arriving_while_a_batch_is_decided_wait_for_the_next_batch() -> None:
    """faust's take_events stopped taking records while the agent decided a batch, so under
    a backlog the batches were small; `batches` keeps them for the next batch, and still
    acks a batch only when the agent asks for the next one (state stored after its outputs
    were delivered, docs/architecture.md), never more than `max_records` at a time."""
    stream = _Stream()
    got: list[list[int]] = []
    feeding: asyncio.Future[Any] | None = None
    acked_when_taken: list[list[int]] = []

    async def agent() -> None:
        nonlocal feeding
        async for batch in batches(stream, max_records=3, within=0.01):  # type: ignore[arg-type]
            got.append([cast(_Event, e).value for e in batch])
            acked_when_taken.append(list(stream.acked))
            if len(got) == 1:  # while the first batch is decided, four more arrive
                feeding = asyncio.ensure_future(
                    asyncio.gather(*(stream.feed(v) for v in (3, 4, 5, 6))))
                await asyncio.sleep(0.05)
                assert not stream.acked  # not acked while it is being decided
            if sum(map(len, got)) == 7:
                break
        assert feeding is not None
        await feeding

    task = asyncio.ensure_future(agent())
    await asyncio.sleep(0)  # the agent's stream takes records from here on
    for value in (0, 1, 2):
        await stream.feed(value)
    await asyncio.wait_for(task, 5)
    assert got == [[0, 1, 2], [3, 4, 5], [6]]
    assert acked_when_taken == [[], [0, 1, 2], [0, 1, 2, 3, 4, 5]]


async def test_an_idle_agent_sleeps_until_a_record_arrives_and_takes_it_on_the_tick() -> None:
    """faust's take_events woke every `within` seconds with nothing to take (200 times a
    second per agent); `batches` waits for a record, then takes it at the next tick of the
    same grid, so the latency of a lone record is what it was (at most `within`)."""
    stream = _Stream()
    got: list[tuple[list[int], float]] = []

    async def agent() -> None:
        async for batch in batches(stream, max_records=10, within=0.02):  # type: ignore[arg-type]
            got.append(([cast(_Event, e).value for e in batch], asyncio.get_running_loop().time()))
            break

    task = asyncio.ensure_future(agent())
    await asyncio.sleep(0.2)  # ten ticks of `within` with nothing to take
    assert stream.waits == 1 and not got
    sent = asyncio.get_running_loop().time()
    await stream.feed(7)
    await stream.feed(8)  # arrives before the tick: the same batch
    await asyncio.wait_for(task, 2)
    assert got[0][0] == [7, 8]
    assert 0 < got[0][1] - sent <= 0.02 + 0.01
