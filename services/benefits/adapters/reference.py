"""The levels, wages and incomes benefits are computed with, from `reference-data`, and the
official working-day calendar (XM-17): the operator's `WorkingDayCalendarPublished` years
over the `chinesecalendar` package's (contracts.workdays, contracts.runtime.calendar).

As in settlement, `sync()` reads the one-partition topic up to its end before a batch is
decided, so everything published before a command reached us is known. A republished
version with the same effective date (and region, year) replaces the earlier one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import TopicPartition

from contracts import benefits as b
from contracts import topics, wire
from contracts.reference import (
    WageAveragePublished,
    WorkingDayCalendarPublished,
    written_by,
)
from contracts.runtime.calendar import CalendarKeeper
from contracts.runtime.topic_reader import TopicReader
from services.benefits.domain.handlers import Context
from services.benefits.domain.levels import NATIONAL_2011, References

log = logging.getLogger(__name__)
KINDS = (b.BenefitLevelsPublished, WageAveragePublished, b.MinimumWagePublished,
         b.UrbanIncomePublished)


def _identity(msg: Any) -> tuple[Any, ...]:
    """Versions that replace each other: same kind, region or year, effective date."""
    return (type(msg), getattr(msg, "region", None), getattr(msg, "year", None),
            msg.effective_from)


class ReferenceStore:
    def __init__(self, bootstrap: str, prefix: str) -> None:
        tp = TopicPartition(topics.REFERENCE_DATA.name(prefix), 0)
        self._versions: dict[tuple[Any, ...], Any] = {}
        self._reader = TopicReader(bootstrap, [tp], fetch_max_wait_ms=10, paused=True)
        self._lock = asyncio.Lock()
        self.calendars = CalendarKeeper()
        self.context = Context(References(), self.calendars.calendar)

    def apply(self, raw: bytes | None) -> None:
        try:
            env = wire.decode(raw)
        except wire.WireError as exc:
            log.warning("reference-data: skipped undecodable record: %s", exc)
            return
        msg = env.payload
        if not written_by(env.source, msg):  # levels and wages are the operator's alone
            log.warning("reference-data: skipped %s from %s, which may not write it",
                        env.type, env.source)
            return
        if isinstance(msg, KINDS):
            self._versions[_identity(msg)] = msg
        elif isinstance(msg, WorkingDayCalendarPublished):
            self.calendars.apply(msg)

    def references(self) -> References:
        kept = list(self._versions.values())

        def of(kind: type) -> tuple[Any, ...]:
            return tuple(v for v in kept if isinstance(v, kind))
        return References(levels=(NATIONAL_2011, *of(b.BenefitLevelsPublished)),
                          city_averages=of(WageAveragePublished),
                          minimum_wages=of(b.MinimumWagePublished),
                          incomes=of(b.UrbanIncomePublished))

    async def sync(self) -> None:
        """Read `reference-data` up to its end offset as of now."""
        async with self._lock:
            await self._reader.read_to_end(lambda rec: self.apply(rec.value))
            self.context = Context(self.references(), self.calendars.calendar)
        self.calendars.warn_uncovered()

    async def stop(self) -> None:
        await self._reader.stop()
