"""`raw_record`: the one builder of a `RawRecord` from a consumed record (faust event or a
record fetched to fill a hole), timestamp guard included."""

from __future__ import annotations

from types import SimpleNamespace

from contracts.runtime.batching import FetchedEvent, FetchedMessage
from contracts.runtime.rejection import RawRecord, raw_record


def faust_event(timestamp: float | None, value: bytes | None = b"{}") -> SimpleNamespace:
    msg = SimpleNamespace(topic="t.hospital-messages", partition=2, offset=41, key=b"k",
                          value=value, timestamp=timestamp)
    return SimpleNamespace(message=msg, key=b"k", value=value)


def test_a_faust_event_gives_its_position_bytes_and_broker_time_in_ms() -> None:
    record = raw_record(faust_event(1_700_000_000.123))
    assert record == RawRecord("t.hospital-messages", 2, 41, b"k", b"{}", 1_700_000_000_123)


def test_no_broker_time_gives_none() -> None:
    assert raw_record(faust_event(None)).timestamp_ms is None
    assert raw_record(faust_event(0.0)).timestamp_ms is None


def test_a_tombstone_keeps_its_none_value() -> None:
    assert raw_record(faust_event(1.0, value=None)).value is None


def test_a_fetched_event_reads_the_same() -> None:
    fetched = FetchedEvent(FetchedMessage("t.hospital-messages", 2, 41, b"k", b"{}",
                                          1_700_000_000.123))
    assert raw_record(fetched) == raw_record(faust_event(1_700_000_000.123))
    assert raw_record(FetchedEvent(FetchedMessage("t", 0, 0, None, None, None))) == RawRecord(
        "t", 0, 0, None, None, None)
