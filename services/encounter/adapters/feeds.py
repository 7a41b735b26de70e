"""Whole-topic readers that every worker instance runs for itself (no consumer group).

- `follow_reference`: reads all of `reference-data` (one small partition) into the
  `ReferenceBook` with a `contracts.runtime.topic_reader.TopicReader`, like a faust
  GlobalTable but without its recovery quirks; `ready` is set once it has caught up with
  the end of the topic as it was at start, and hospital messages wait for it, so a
  restarted worker never decides with missing reference data.

The HTTP ingress's answers (`hospital-replies`) come through `contracts.runtime.answers`.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import ConsumerRecord

from contracts import topics, wire
from contracts.reference import written_by
from contracts.runtime.topic_reader import TopicReader
from contracts.settings import Settings
from services.encounter.domain.reference_book import ReferenceBook

log = logging.getLogger(__name__)


async def follow_reference(settings: Settings, book: ReferenceBook, ready: asyncio.Event) -> None:
    def add(rec: ConsumerRecord[bytes, bytes]) -> None:
        try:
            env = wire.decode(rec.value)
        except wire.WireError as exc:  # the operator tool validates; never stop
            log.error("reference-data@%s undecodable: %s", rec.offset, exc)
            return
        if not written_by(env.source, env.payload):  # only the operator writes catalogs
            log.error("reference-data@%s: %s may not publish %s; ignored", rec.offset,
                      env.source, env.type)
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
