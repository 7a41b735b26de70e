"""Fast bulk Kafka I/O for the benchmarks: pre-encoded records in whole batches.

`produce_bulk` partitions like the Java client and faust (murmur2 of the key, via aiokafka's
`DefaultPartitioner`), fills one batch per partition and keeps a bounded number of batches
in flight: the same records a keyed `send` would write, without a future per record.
`count_consume` reads topics from the beginning to their current end (the raw consume rate).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from contracts.settings import kafka_security
from ops.progress import Progress

MAX_IN_FLIGHT = 16


def producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, **kafka_security(),
                            acks="all", linger_ms=5,
                            max_batch_size=512 * 1024, max_request_size=4 * 1024 * 1024)


async def produce_bulk(bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]],
                       partitions: int, progress: Progress | None = None) -> int:
    """Send (key, value) records keyed-partitioned; returns the count sent."""
    prod = producer(bootstrap)
    await prod.start()
    partitioner = DefaultPartitioner()
    ids = list(range(partitions))
    batches: dict[int, Any] = {}
    in_flight: list[asyncio.Future[Any]] = []
    sent = 0

    async def flush(p: int) -> None:
        batch = batches.pop(p)
        in_flight.append(await prod.send_batch(batch, topic, partition=p))
        if len(in_flight) >= MAX_IN_FLIGHT:
            await asyncio.gather(*in_flight)
            in_flight.clear()

    try:
        for key, value in records:
            p = partitioner(key, ids, ids)
            batch = batches.get(p)
            if batch is None:
                batch = batches[p] = prod.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:
                await flush(p)
                batch = batches[p] = prod.create_batch()
                batch.append(key=key, value=value, timestamp=None)
            sent += 1
            if progress is not None and sent % 10_000 == 0:
                progress.update(sent)
        for p in list(batches):
            await flush(p)
        await asyncio.gather(*in_flight)
    finally:
        await prod.stop()
    if progress is not None:
        progress.update(sent)
        progress.finish()
    return sent


async def end_offsets(bootstrap: str, topics: Sequence[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_security(),
                                enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()  # a fresh, complete view
        tps = [TopicPartition(t, p) for t in topics
               for p in sorted(cluster.partitions_for_topic(t) or [])]
        if not tps:
            raise LookupError(f"none of {', '.join(topics)} exists")
        return {tp: int(o) for tp, o in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def count_consume(bootstrap: str, topics: Sequence[str], label: str = "raw consume",
                        parse: Callable[[bytes], object] | None = None) -> tuple[int, float]:
    """Read `topics` from offset 0 to their current ends; (records, records/s).

    With `parse`, every record's value is also passed to it: `wire.decode` (a validated
    envelope, the cost every consumer pays before any logic) or `orjson.loads` (JSON only).
    """
    ends = {tp: o for tp, o in (await end_offsets(bootstrap, topics)).items() if o > 0}
    total = sum(ends.values())
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_security(),
                                enable_auto_commit=False,
                                group_id=None, auto_offset_reset="earliest",
                                max_partition_fetch_bytes=8 * 1024 * 1024,
                                fetch_max_bytes=32 * 1024 * 1024)
    await consumer.start()
    consumer.assign(list(ends))
    await consumer.seek_to_beginning(*ends)
    progress = Progress(label, total)
    seen = 0
    start = time.perf_counter()
    try:
        while seen < total:
            batches = await consumer.getmany(timeout_ms=500, max_records=20_000)
            for records in batches.values():
                seen += len(records)
                if parse is not None:
                    for r in records:
                        parse(r.value)
            progress.update(seen)
    finally:
        await consumer.stop()
    elapsed = time.perf_counter() - start
    progress.finish()
    return seen, seen / elapsed


async def records_in_run(bootstrap: str, prefix: str) -> int:
    """Records in every topic of a run (registry topics and faust's changelogs): the sum of
    their partitions' end offsets."""
    from infra.topics import admin

    async with admin(bootstrap) as client:
        names = [t for t in await client.list_topics() if t.startswith(prefix)]
    return sum((await end_offsets(bootstrap, names)).values()) if names else 0


async def create_times(bootstrap: str, topic: str, field: str) -> dict[str, float]:
    """{the envelope's `field` (e.g. event_id): the record's CreateTime in epoch seconds} for
    every record of `topic` (the producer's clock: when the writer handed the record over)."""
    import orjson

    ends = {tp: o for tp, o in (await end_offsets(bootstrap, [topic])).items() if o > 0}
    found: dict[str, float] = {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kafka_security(),
                                enable_auto_commit=False,
                                group_id=None)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        for tp, end in ends.items():
            while await consumer.position(tp) < end:
                for rec in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                    value = orjson.loads(rec.value).get(field)
                    if isinstance(value, str):
                        found[value] = rec.timestamp / 1000
    finally:
        await consumer.stop()
    return found

