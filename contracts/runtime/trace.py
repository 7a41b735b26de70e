"""Per-stage wall-clock marks of traced messages: where an admission answer's time goes.

Off unless `WIC_TRACE_FILE` names a file (the admission benchmark sets it,
docs/performance.md "Fifth round: the admission answer"); then the HTTP ingress `watch`es
the event ids it publishes, and every stage that handles one of them appends a line
`<event id> <stage> <epoch seconds>` to the file: the ingress's send and delivery ack, the
faust consumer thread's fetch that returned the record, the agent batch's start and end, the
reply's hand-over to the producer and its ack, the reply waiter's receipt, the response.
Besides, lines `- <what> <epoch seconds> <detail>` record the event loop's lags and faust's
flow control (a full stream buffer). Off, every hook is one attribute test.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterable
from typing import IO, Any

import orjson

FILE_ENV = "WIC_TRACE_FILE"
LOOP_PROBE_S = 0.005  # the loop-lag probe's period
LOOP_LAG_S = 0.020  # a lag above this is written


class Tracer:
    def __init__(self, path: str | None) -> None:
        self.on = bool(path)
        self._out: IO[str] | None = open(path, "a", buffering=1) if path else None  # noqa: SIM115
        self._lock = threading.Lock()
        self.ids: set[str] = set()
        self.offsets: dict[tuple[str, int, int], str] = {}  # (topic, partition, offset) -> id

    def _write(self, line: str) -> None:
        if self._out is not None:
            with self._lock:  # the consumer thread writes too
                self._out.write(line)

    def watch(self, event_id: str) -> None:
        if self.on:
            self.ids.add(event_id)

    def forget(self, event_id: str) -> None:
        if self.on:
            self.ids.discard(event_id)

    def mark(self, stage: str, event_id: Any, at: float | None = None) -> None:
        if self.on and str(event_id) in self.ids:
            self._write(f"{event_id} {stage} {time.time() if at is None else at:.6f}\n")

    def note(self, what: str, detail: str = "") -> None:
        if self.on:
            self._write(f"- {what} {time.time():.6f} {detail}\n")

    def id_of(self, value: bytes | None, field: str = "event_id") -> str | None:
        """The watched id in a record's value, if any (parsed only while tracing)."""
        if not (self.on and self.ids and value):
            return None
        try:
            found = orjson.loads(value).get(field)
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return found if isinstance(found, str) and found in self.ids else None

    def fetched(self, records: Any) -> None:
        """Consumer thread: records a fetch returned ({tp: [ConsumerRecord]})."""
        if not (self.on and self.ids):
            return
        now = time.time()
        for tp, recs in records.items():
            for rec in recs:
                eid = self.id_of(rec.value)
                if eid is not None:
                    self.offsets[(tp.topic, tp.partition, rec.offset)] = eid
                    self._write(f"{eid} fetched {now:.6f} p{tp.partition}@{rec.offset} "
                                f"broker {rec.timestamp / 1000:.6f}\n")

    def at(self, stage: str, message: Any) -> None:
        """Mark one traced record (found by its position) at `stage`."""
        if self.on and self.offsets:
            eid = self.offsets.get((message.topic, message.partition, message.offset))
            if eid is not None:
                self._write(f"{eid} {stage} {time.time():.6f}\n")

    def events(self, stage: str, events: Iterable[Any]) -> None:
        """Agent: mark the traced records of a batch (found by their position)."""
        if not (self.on and self.offsets):
            return
        now = time.time()
        n = 0
        for event in events:
            n += 1
            msg = event.message
            eid = self.offsets.get((msg.topic, msg.partition, msg.offset))
            if eid is not None:
                self._write(f"{eid} {stage} {now:.6f}\n")
                if stage.endswith("end"):
                    del self.offsets[(msg.topic, msg.partition, msg.offset)]
        if stage.endswith("start"):
            self.note("batch", f"{n}")

    async def loop_probe(self, period: float = LOOP_PROBE_S, lag: float = LOOP_LAG_S) -> None:
        """Write every time the event loop came back later than `lag` after a sleep."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(period)
            late = loop.time() - before - period
            if late > lag:
                self.note("loop_lag", f"{threading.current_thread().name} {late * 1e3:.1f}ms")


TRACE = Tracer(os.environ.get(FILE_ENV))


def install(app: Any) -> None:
    """While tracing: hook faust's consumer thread (fetches), its flow control, the loop."""
    if not TRACE.on:
        return
    from faust.transport.consumer import Consumer
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    fetch = AIOKafkaConsumerThread._fetch_records

    probing: list[Any] = []  # the probe task of the consumer thread's loop

    async def _fetch_records(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not probing:  # the consumer thread's own loop
            probing.append(asyncio.ensure_future(TRACE.loop_probe()))
        started = time.time()
        records = await fetch(self, *args, **kwargs)
        took = time.time() - started
        if took > 0.2 and not records:
            TRACE.note("empty_fetch", f"{took * 1e3:.0f}ms")
        elif records:
            TRACE.note("fetch", f"{sum(map(len, records.values()))} in {took * 1e3:.0f}ms")
        TRACE.fetched(records)
        return records

    AIOKafkaConsumerThread._fetch_records = _fetch_records  # type: ignore[method-assign]

    full = Consumer.on_buffer_full

    def on_buffer_full(self: Any, tp: Any) -> None:
        TRACE.note("buffer_full", str(tp))
        full(self, tp)

    Consumer.on_buffer_full = on_buffer_full  # type: ignore[method-assign]

    from faust.transport.conductor import Conductor

    compile_handler = Conductor._compile_message_handler

    def compile_traced(self: Any) -> Any:  # the main loop's first sight of a fetched record
        handler = compile_handler(self)

        async def on_message(message: Any) -> Any:
            TRACE.at("conductor", message)
            return await handler(message)
        return on_message

    Conductor._compile_message_handler = compile_traced  # type: ignore[method-assign]

    from contracts.runtime import batching
    from contracts.runtime.batching import DeferredSends

    batching.on_buffered = lambda event: TRACE.at("buffered", event.message)

    send, delivered = DeferredSends.send, DeferredSends.delivered
    replies: list[str] = []  # traced replies handed over, not yet acked

    async def traced_send(self: Any, name: str, key: bytes | None, value: bytes) -> None:
        eid = TRACE.id_of(value, "causation_id") if name.endswith("hospital-replies") else None
        await send(self, name, key, value)
        if eid is not None:
            TRACE.mark("reply.send", eid)
            replies.append(eid)

    async def traced_delivered(self: Any) -> None:
        await delivered(self)
        for eid in replies:
            TRACE.mark("reply.acked", eid)
        replies.clear()

    DeferredSends.send = traced_send  # type: ignore[method-assign]
    DeferredSends.delivered = traced_delivered  # type: ignore[method-assign]

    from faust.transport.producer import ProducerBuffer

    ebb = ProducerBuffer.wait_until_ebb

    async def timed_ebb(self: Any) -> None:  # faust's conductor, before every record
        started = time.time()
        await ebb(self)
        if (took := time.time() - started) > LOOP_LAG_S:
            TRACE.note("producer_ebb", f"{took * 1e3:.0f}ms")

    ProducerBuffer.wait_until_ebb = timed_ebb  # type: ignore[method-assign]

    commit = Consumer.commit

    async def timed_commit(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.time()
        try:
            return await commit(self, *args, **kwargs)
        finally:
            if (took := time.time() - started) > LOOP_LAG_S:
                TRACE.note("commit", f"{took * 1e3:.0f}ms")

    Consumer.commit = timed_commit  # type: ignore[method-assign]

    @app.task
    async def _trace_loop() -> None:
        await TRACE.loop_probe()
