"""Whole-topic reading: every record of a topic from its start, with a consumer of our own
(no consumer group, no commits), up to the end offsets as they are when asked.

Reference data (encounter's book, settlement's catalogs, the operator's loader) and the
ledger's rebuild read this way: a faust GlobalTable gives no "caught up" point to wait for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from contracts.settings import kafka_security
from contracts.topics import Topic

log = logging.getLogger(__name__)

Apply = Callable[[ConsumerRecord[Any, Any]], None]
"""What the reader does with each record, in log order per partition."""

FETCH_WAIT_MS = 500
"""How long a read waits for records in one fetch (aiokafka's default broker wait)."""


class TopicReader:
    """Reads `parts` from their start; `read_to_end` brings it up to the current end.

    `fetch_max_wait_ms` is the longest the broker holds a fetch (a reader on a hot path asks
    for less: `end_offsets` waits for the fetch in flight). With `paused`, the partitions are
    paused between reads, so an idle reader sends no fetches of its own. With `cut_at_end`,
    records a fetch brings past the end offsets are not applied: a snapshot as of the call,
    for a reader that reads once (a later read would not see them either).
    """

    def __init__(self, bootstrap: str, parts: Sequence[TopicPartition], *,
                 fetch_max_wait_ms: int = FETCH_WAIT_MS, paused: bool = False,
                 cut_at_end: bool = False) -> None:
        self.bootstrap = bootstrap
        self.parts = list(parts)
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.paused = paused
        self.cut_at_end = cut_at_end
        self.consumer: AIOKafkaConsumer | None = None

    @classmethod
    def of(cls, bootstrap: str, topic: Topic, prefix: str, **options: Any) -> TopicReader:
        """A reader of every partition of a registry topic."""
        name = topic.name(prefix)
        return cls(bootstrap, [TopicPartition(name, p) for p in range(topic.partitions)],
                   **options)

    async def start(self) -> AIOKafkaConsumer:
        """The consumer, started, assigned and at the start of every partition (once)."""
        if self.consumer is None:
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, **kafka_security(),
                                        group_id=None,
                                        enable_auto_commit=False, auto_offset_reset="earliest",
                                        fetch_max_wait_ms=self.fetch_max_wait_ms)
            await consumer.start()
            try:
                consumer.assign(self.parts)
                await consumer.seek_to_beginning(*self.parts)
            except BaseException:
                await consumer.stop()
                raise
            if self.paused:
                consumer.pause(*self.parts)
            self.consumer = consumer
        return self.consumer

    async def read_to_end(self, apply: Apply) -> bool:
        """Apply every record up to each partition's end offset as of now (and any that a
        fetch brings past it, unless `cut_at_end`). Returns False if there was nothing to
        read."""
        consumer = await self.start()
        ends = await consumer.end_offsets(self.parts)
        if not await self._behind(consumer, ends):
            return False
        if self.cut_at_end:
            apply = _before(ends, apply)
        if self.paused:
            consumer.resume(*self.parts)
        try:
            while await self._behind(consumer, ends):
                self._apply(await consumer.getmany(*self.parts, timeout_ms=FETCH_WAIT_MS), apply)
        finally:
            if self.paused:
                consumer.pause(*self.parts)
        return True

    async def follow(self, apply: Apply) -> NoReturn:
        """Apply every record from here on, as it comes (until cancelled)."""
        consumer = await self.start()
        if self.paused:
            consumer.resume(*self.parts)
        while True:
            self._apply(await consumer.getmany(*self.parts, timeout_ms=FETCH_WAIT_MS), apply)

    async def stop(self) -> None:
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            await consumer.stop()

    async def _behind(self, consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]
                      ) -> bool:
        for tp in self.parts:
            if await consumer.position(tp) < ends[tp]:
                return True
        return False

    @staticmethod
    def _apply(batch: dict[TopicPartition, list[ConsumerRecord[Any, Any]]],
               apply: Apply) -> None:
        for records in batch.values():
            for rec in records:
                apply(rec)


def _before(ends: dict[TopicPartition, int], apply: Apply) -> Apply:
    def cut(rec: ConsumerRecord[Any, Any]) -> None:
        if rec.offset < ends[TopicPartition(rec.topic, rec.partition)]:
            apply(rec)

    return cut


async def read_topic(bootstrap: str, topic: Topic, prefix: str, apply: Apply) -> None:
    """Read every partition of a registry topic once, from its start to its end as of now."""
    reader = TopicReader.of(bootstrap, topic, prefix)
    try:
        await reader.read_to_end(apply)
    finally:
        await reader.stop()


async def read_until_done(read: Callable[[], Awaitable[None]], first_wait: float = 0.5,
                          max_wait: float = 10.0) -> None:
    """Read reference data published so far before deciding, retrying while the broker is
    away: a failed read is not the input's fault, and dead-lettering a discharge as
    `internal_error` lost its settlement (issue 14, the 10,000-encounter chaos run)."""
    wait = first_wait
    while True:
        try:
            await read()
            return
        except (KafkaError, OSError) as exc:
            log.warning("reading reference data failed (%s); trying again in %.1f s", exc, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, max_wait)
