"""Whole-topic readers that every worker instance runs for itself (no consumer group).

- `follow_reference`: reads all of `reference-data` (one small partition) into the
  `ReferenceBook` with a `contracts.runtime.topic_reader.TopicReader`, like a faust
  GlobalTable but without its recovery quirks; `ready` is set once it has caught up with
  the end of the topic as it was at start, and hospital messages wait for it, so a
  restarted worker never decides with missing reference data.
- `ReplyWaiter`: reads `hospital-replies` from its end so that the HTTP ingress can hand the
  hospital the answer to the message it just published (matched by `causation_id`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from contracts import topics, wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime import faust_app
from contracts.runtime.topic_reader import TopicReader
from contracts.settings import Settings
from services.encounter.domain.reference_book import ReferenceBook

log = logging.getLogger(__name__)


async def _assigned_consumer(settings: Settings, topic: topics.Topic, fetch_max_wait_ms: int = 500
                             ) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    name = topic.name(settings.topic_prefix)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                fetch_max_wait_ms=fetch_max_wait_ms)
    await consumer.start()
    parts = [TopicPartition(name, p) for p in range(topic.partitions)]
    consumer.assign(parts)
    return consumer, parts


async def follow_reference(settings: Settings, book: ReferenceBook, ready: asyncio.Event) -> None:
    def add(rec: ConsumerRecord[bytes, bytes]) -> None:
        try:
            env = wire.decode(rec.value)
        except wire.WireError as exc:  # the operator tool validates; never stop
            log.error("reference-data@%s undecodable: %s", rec.offset, exc)
            return
        book.add(env.event_id, env.payload)

    reader = TopicReader.of(settings.bootstrap, topics.REFERENCE_DATA, settings.topic_prefix)
    try:
        if await reader.read_to_end(add):
            log.warning("reference data loaded: %d messages", len(book))
        ready.set()
        await reader.follow(add)
    finally:
        await reader.stop()


class ReplyWaiter:
    """Futures for replies to messages this worker published, by the message's event id."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started = asyncio.Event()
        self._waiting: dict[uuid.UUID, asyncio.Future[Envelope[Message]]] = {}

    def expect(self, event_id: uuid.UUID) -> asyncio.Future[Envelope[Message]]:
        fut: asyncio.Future[Envelope[Message]] = asyncio.get_running_loop().create_future()
        self._waiting[event_id] = fut
        return fut

    def forget(self, event_id: uuid.UUID) -> None:
        self._waiting.pop(event_id, None)

    async def run(self) -> None:
        # A hospital is waiting: a fetch held for idle partitions must not hold its answer
        # (`faust_app.AGENT_FETCH_MAX_WAIT_MS` says why).
        consumer, parts = await _assigned_consumer(self.settings, topics.HOSPITAL_REPLIES,
                                                   faust_app.AGENT_FETCH_MAX_WAIT_MS)
        try:
            await consumer.seek_to_end(*parts)
            for tp in parts:  # resolve the lazy seek now: replies from here on are seen
                await consumer.position(tp)
            self.started.set()
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for rec in records:
                        self._deliver(rec.value)
        finally:
            await consumer.stop()

    def _deliver(self, raw: bytes) -> None:
        # Every hospital message has a reply here, but only the few sent over HTTP by this
        # worker are awaited: look at the causation id first, decode only what is awaited.
        if not self._waiting:
            return
        with contextlib.suppress(wire.WireError, orjson.JSONDecodeError, AttributeError,
                                 TypeError, ValueError):
            causation = orjson.loads(raw).get("causation_id")
            if causation is None or uuid.UUID(causation) not in self._waiting:
                return
            env = wire.decode(raw)
            fut = self._waiting.pop(env.causation_id, None) if env.causation_id else None
            if fut is not None and not fut.done():
                fut.set_result(env)
