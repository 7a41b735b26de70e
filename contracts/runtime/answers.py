"""Kafka request/reply for clients: the answers to the messages a client sent, matched by
causation id (every answer is derived from the message it answers, `envelope.derive`).

No consumer group: every process reads every partition of its reply topics (their count as
the broker reports it), so an HTTP ingress of one worker gets the answer that another
worker — the owner of the message key's partition — decided.

The encounter service's HTTP ingress, `wic clearing`, the demo and the chaos run all read
their answers through `Answers`: expect an event id *before* sending it, then await it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.trace import TRACE
from contracts.settings import Settings, kafka_security
from contracts.topics import Topic

log = logging.getLogger(__name__)

Answer = Envelope[Message]


class Answers:
    """Reads reply topics from their end (where they stood at `start`) and hands each
    awaited answer to its future. `every`, if given, sees every decodable answer (the chaos
    run counts them); otherwise only awaited ones are decoded."""

    def __init__(self, settings: Settings, reply_topics: Sequence[Topic], *,
                 fetch_max_wait_ms: int = 500,
                 every: Callable[[Answer], None] | None = None) -> None:
        self.settings = settings
        self.reply_topics = tuple(reply_topics)
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.every = every
        self.started = asyncio.Event()
        self._waiting: dict[uuid.UUID, asyncio.Future[Answer]] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Fix the start positions: an answer to anything sent after this is seen."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.settings.bootstrap, group_id=None,
                                    **kafka_security(self.settings),
                                    enable_auto_commit=False,
                                    fetch_max_wait_ms=self.fetch_max_wait_ms)
        await consumer.start()
        self._consumer = consumer
        # Every partition, as the broker has them: the answer to a message comes from the
        # worker owning its key's partition, which need not be this process (issue 17).
        await consumer.topics()  # fresh metadata
        parts = []
        for t in self.reply_topics:
            name = t.name(self.settings.topic_prefix)
            found = consumer.partitions_for_topic(name) or range(t.partitions)
            parts += [TopicPartition(name, p) for p in sorted(found)]
        consumer.assign(parts)
        await consumer.seek_to_end(*parts)
        for tp in parts:  # resolve the lazy seek now, before anything is sent
            await consumer.position(tp)
        self._reader = asyncio.create_task(self._read(consumer))
        self.started.set()

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._consumer is not None:
            with contextlib.suppress(Exception):  # the broker may be gone already
                await self._consumer.stop()

    async def run(self) -> None:
        """As a service's background task: start, read until cancelled, stop."""
        await self.start()
        try:
            assert self._reader is not None
            await self._reader
        finally:
            await self.stop()

    async def __aenter__(self) -> Answers:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def ready(self, timeout: float) -> bool:
        """Have the start positions been fixed (within `timeout`)? A service's ingress asks
        before it publishes: an answer produced before them would never be seen, and a
        command sent in a fresh service's first seconds would wait out its timeout."""
        try:
            await asyncio.wait_for(self.started.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def expect(self, event_id: uuid.UUID) -> asyncio.Future[Answer]:
        """Await the answer to `event_id`, which is about to be sent; `forget` it after."""
        fut: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting[event_id] = fut
        return fut

    def forget(self, event_id: uuid.UUID) -> None:
        self._waiting.pop(event_id, None)

    async def gather(self, event_ids: Iterable[uuid.UUID], timeout: float) -> list[Answer]:
        """The answer to each id (expected before it was sent), in order; TimeoutError
        naming how many never came."""
        ids = list(event_ids)
        futures = [self._waiting.get(i) or self.expect(i) for i in ids]
        try:
            _, pending = await asyncio.wait(futures, timeout=timeout) if futures else ((), ())
            if pending:
                raise TimeoutError(f"{len(pending)} of {len(futures)} messages got no answer "
                                   f"in {timeout:.0f} s")
            return [f.result() for f in futures]
        finally:
            for i in ids:
                self.forget(i)

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                batch = await consumer.getmany(timeout_ms=200)
            except Exception as exc:  # the broker restarting: the consumer reconnects
                log.warning("reading answers: %s; retrying", exc)
                await asyncio.sleep(0.5)
                continue
            for records in batch.values():
                for rec in records:
                    self.deliver(rec.value)

    def deliver(self, raw: bytes | None) -> None:
        """Hand an answer read from the log to whoever awaits it. Replies to other clients'
        messages are passed by on their causation id, without a decode (a pydantic decode
        per hospital message was 2% of encounter's CPU)."""
        self._resolve(raw, self.every)

    def handed_over(self, raw: bytes) -> None:
        """An answer decided in this process and already acknowledged by the broker
        (`DeferredSends.hand_over`): the same recorded answer, without the hop back through
        the reply topic. Whichever copy comes first resolves the future; `every` sees only
        the log's."""
        self._resolve(raw, None, "waiter.handed_over")

    def _resolve(self, raw: bytes | None, every: Callable[[Answer], None] | None,
                 mark: str = "waiter.read") -> None:
        if raw is None or not (self._waiting or every):
            return
        with contextlib.suppress(wire.WireError, orjson.JSONDecodeError, AttributeError,
                                 TypeError, ValueError):
            if every is None:
                causation = orjson.loads(raw).get("causation_id")
                waiting = None if causation is None else self._waiting.get(uuid.UUID(causation))
                if waiting is None or waiting.done():  # not awaited, or answered already
                    return
            env = wire.decode(raw)
            if env.causation_id is None:
                return
            if every is not None:
                every(env)
            fut = self._waiting.get(env.causation_id)  # kept until forgotten (`gather`)
            TRACE.mark("waiter.received", env.causation_id)  # the first copy's time counts
            TRACE.mark(mark, env.causation_id)
            if fut is not None and not fut.done():
                fut.set_result(env)
