"""The shared runner without a broker: a stand-in faust app whose producer hands records to
a test's `send` (which may fail, like a broker that never acknowledges), and records given
to the runner as `batching.FetchedEvent`s. For pure-adapter tests of what the runner
guarantees: outputs delivered before any state is stored."""

from __future__ import annotations

import asyncio
from typing import Any

from contracts.runtime.batching import FetchedEvent, FetchedMessage
from contracts.runtime.rejection import RawRecord, Send


class _Producer:
    def __init__(self, send: Send) -> None:
        self._send = send

    async def send(self, topic: str, key: bytes | None, value: bytes, partition: Any,
                   timestamp: Any, headers: Any) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            await self._send(topic, key, value)
            done.set_result(None)
        except Exception as exc:  # delivered later as a failed acknowledgement
            done.set_exception(exc)
        return done


class StandInApp:
    """What the runner, `DeferredSends` and `InputPositions` use of a faust app."""

    def __init__(self, send: Send) -> None:
        self.producer = _Producer(send)
        self.consumer = None  # no gaps to release


def event(record: RawRecord) -> FetchedEvent:
    stamp = None if record.timestamp_ms is None else record.timestamp_ms / 1000
    return FetchedEvent(FetchedMessage(record.topic, record.partition, record.offset,
                                       record.key, record.value, stamp))
