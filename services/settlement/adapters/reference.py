"""Catalogs and the XM-17 working-day calendar (`WorkingDayCalendarPublished` over the
`chinesecalendar` package, contracts.runtime.calendar) from `reference-data`, kept in memory
and brought up to date before each decision.

The topic has one partition and is small. Before deciding on an encounter, `sync()` reads it
up to its current end offset, so every catalog published before the encounter reached us is
known (a faust GlobalTable gives no such "caught up" point). Undecodable or non-catalog
records are ignored here: the operator's loader validates what it publishes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import topics, wire
from contracts.reference import (
    CatalogKind,
    CatalogPublished,
    WorkingDayCalendarPublished,
    written_by,
)
from contracts.runtime.calendar import CalendarKeeper
from contracts.runtime.topic_reader import TopicReader
from services.settlement.domain.references import References

log = logging.getLogger(__name__)


class ReferenceStore:
    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap = bootstrap
        self.tp = TopicPartition(topics.REFERENCE_DATA.name(prefix), 0)
        self.catalogs: dict[tuple[CatalogKind, str], list[CatalogPublished]] = defaultdict(list)
        self.calendars = CalendarKeeper()
        # `end_offsets()` waits for the in-flight long-poll fetch: with the default 500 ms
        # every discharge waited half a second (docs/performance.md). 10 ms keeps the
        # per-discharge sync cheap on a topic that is almost always caught up. Between
        # syncs the partition is paused: an unpaused one is fetched in the background
        # every 10 ms, a hundred idle requests a second for the broker and this process.
        self._reader = TopicReader(bootstrap, [self.tp], fetch_max_wait_ms=10, paused=True)
        self._lock = asyncio.Lock()

    @property
    def _consumer(self) -> AIOKafkaConsumer | None:
        """The reader's consumer (None before the first sync): paused between syncs."""
        return self._reader.consumer

    def apply(self, raw: bytes | None) -> None:
        try:
            env = wire.decode(raw)
        except wire.WireError as exc:
            log.warning("reference-data: skipped undecodable record: %s", exc)
            return
        msg = env.payload
        if not written_by(env.source, msg):  # only the operator publishes these datasets
            return
        if isinstance(msg, CatalogPublished):
            versions = self.catalogs[(msg.kind, msg.region)]
            # A republished version with the same effective date replaces the earlier one.
            versions[:] = [v for v in versions if v.effective_from != msg.effective_from]
            versions.append(msg)
        elif isinstance(msg, WorkingDayCalendarPublished):
            self.calendars.apply(msg)

    @property
    def references(self) -> References:
        """The decisions' context: the catalogs and the calendar as read so far."""
        return References(self.catalogs, self.calendars.calendar)

    async def sync(self) -> None:
        """Read `reference-data` up to its end offset as of now."""
        async with self._lock:
            await self._reader.read_to_end(lambda rec: self.apply(rec.value))
        self.calendars.warn_uncovered()

    async def stop(self) -> None:
        await self._reader.stop()
