"""The decoded-state cache agents keep beside their faust tables, and the root-logger fix."""

from __future__ import annotations

import asyncio
import logging

from contracts.runtime.batching import BatchedState, DecodedCache, Snapshots
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
