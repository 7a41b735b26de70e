"""Running projections over a bounded stretch of the log: the engine of replay and verify.

`end_offsets` fixes where a rebuild stops (exclusive offsets per partition), before it
starts, so a rebuild is a pure function of the log prefix it read. `rebuild` runs the
services' own `ProjectionRunner`s into a schema, with a progress report and a watchdog
that also stops on partitions whose last offsets hold no records (retention, compaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.runtime.projection import Projection, ProjectionRunner
from contracts.settings import Settings, kafka_security
from contracts.topics import ALL, Topic
from ops.progress import Progress

Offsets = dict[tuple[str, int], int]

# A rebuild reads a backlog, not a trickle: bigger batches mean fewer transactions and
# look-ups per event (the live runners keep 500, where a batch is also a latency).
REBUILD_BATCH = 5000
# The rebuild is one Python process's CPU (fold, decoding, rows) while the second core sat
# ~40% idle: the partitions are split over this many processes, each applying its own
# partitions from its own checkpoints (docs/performance.md "Fifth round, second pass").
REBUILD_PROCESSES = min(2, os.cpu_count() or 1)


def parse_to_offset(specs: Iterable[str]) -> dict[tuple[str, int], int]:
    """`TOPIC:PARTITION:OFFSET` strings -> {(topic, partition): offset} (topic as given)."""
    parsed: dict[tuple[str, int], int] = {}
    for spec in specs:
        try:
            topic, partition, offset = spec.rsplit(":", 2)
            parsed[(topic, int(partition))] = int(offset)
        except ValueError:
            raise SystemExit(f"--to-offset {spec!r}: expected TOPIC:PARTITION:OFFSET, "
                             "e.g. clearing-events:0:1200") from None
    return parsed


def _physical(name: str, prefix: str) -> str:
    """Registry base names get the prefix; names already prefixed are kept."""
    if name.startswith(prefix) and prefix:
        return name
    return name if not any(t.base == name for t in ALL) else f"{prefix}{name}"


async def _partitions(consumer: AIOKafkaConsumer, names: Sequence[str]) -> list[TopicPartition]:
    cluster = await consumer._client.fetch_all_metadata()  # a fresh, complete view
    tps: list[TopicPartition] = []
    for name in names:
        parts = cluster.partitions_for_topic(name)
        if not parts:
            raise LookupError(f"topic {name} does not exist (wrong WIC_TOPIC_PREFIX?)")
        tps.extend(TopicPartition(name, p) for p in sorted(parts))
    return tps


async def end_offsets(settings: Settings, topics: Sequence[Topic], *,
                      as_of: datetime | None = None,
                      explicit: Mapping[tuple[str, int], int] | None = None) -> Offsets:
    """Exclusive end offset per partition: current end, first record after `as_of`, or given."""
    names = sorted({t.name(settings.topic_prefix) for t in topics})
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await _partitions(consumer, names)
        ends = await consumer.end_offsets(tps)
        result = {(tp.topic, tp.partition): int(ends[tp]) for tp in tps}
        if as_of is not None:
            if as_of.tzinfo is None:
                raise ValueError("--as-of needs a time zone (e.g. +08:00 or Z)")
            stamp = int(as_of.timestamp() * 1000) + 1  # records AT the instant are included
            found = await consumer.offsets_for_times({tp: stamp for tp in tps})
            for tp, hit in found.items():
                if hit is not None:
                    result[(tp.topic, tp.partition)] = int(hit.offset)
        for (name, partition), offset in (explicit or {}).items():
            key = (_physical(name, settings.topic_prefix), partition)
            if key not in result:
                raise LookupError(f"--to-offset names {key[0]}:{partition}, which this "
                                  f"projection does not read (it reads {', '.join(names)})")
            result[key] = min(offset, result[key])
        return result
    finally:
        await consumer.stop()


async def start_offsets(settings: Settings, until: Offsets) -> Offsets:
    """The first retained offset of each partition (for the progress total)."""
    if not until:
        return {}  # also: aiokafka raises CancelledError if a consumer stops right after start
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t, p in until]
        begins = await consumer.beginning_offsets(tps) if tps else {}
        return {(tp.topic, tp.partition): int(o) for tp, o in begins.items()}
    finally:
        await consumer.stop()


async def _watch(runner: ProjectionRunner, until: Offsets, stop: asyncio.Event) -> None:
    """Stop the runner once its consumer has been handed every record before `until`.

    The runner stops by itself when it has *applied* a record at end-1 on every partition;
    this also ends rebuilds where that record does not exist (deleted by retention or
    compaction, or a transaction marker). The runner finishes its current batch first.
    """
    wanted = {TopicPartition(t, p): o for (t, p), o in until.items() if o > 0}
    while not stop.is_set():
        await asyncio.sleep(0.5)
        consumer = runner._consumer
        if consumer is None:
            continue
        try:
            if not set(wanted) <= consumer.assignment():
                continue
            positions = [await consumer.position(tp) for tp in wanted]
        except Exception:  # not assigned yet, or stopping: look again later
            continue
        if all(pos >= end for pos, end in zip(positions, wanted.values(), strict=True)):
            stop.set()


async def rebuild(settings: Settings, projections: Sequence[Projection], schema: str,
                  until: Offsets, progress: Progress | None = None, *,
                  trusted: bool = True, shared: bool = True,
                  processes: int | None = None) -> int:
    """Run `projections` into `schema` until `until`; returns the number of events applied.

    Resumable: a second call with the same schema continues from its checkpoints.
    `trusted`: records a topic's own writer wrote are decoded without validating them
    again (`contracts.trusted`; the same envelopes, docs/performance.md "Fifth round").
    `shared`: projections that read a common topic (a read model and its audit trail) are
    fed by one consumer, each record fetched and decoded once (`ProjectionRunner.companions`).
    `processes` (default `REBUILD_PROCESSES`): the partitions with records are split by
    partition number over that many processes, this one and spawned ones; each applies
    only its partitions (a worker's events are all on one partition of each topic).
    """
    if progress is not None and progress.total is None:
        begins = await start_offsets(settings, until)
        progress.total = sum(max(0, o - begins.get(k, 0)) for k, o in until.items())
    how = {"trusted": trusted, "shared": shared}
    # one consumer group per runner, whichever processes commit its partitions (`wic lag`)
    groups = {g[0].name: f"{settings.topic_prefix}replay.{schema}.{g[0].name}."
                         f"{uuid.uuid4().hex[:6]}"
              for g in (_sharing(projections) if shared else [[p] for p in projections])}
    parts = _split(until, REBUILD_PROCESSES if processes is None else processes)
    if len(parts) < 2:
        applied = await _rebuild(settings, projections, schema, until, progress, how, groups,
                                 None)
        if progress is not None:
            progress.finish()
        return applied
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no loop, no sockets
    children = []
    for mine in parts[1:]:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, daemon=True,
                                args=(settings, list(projections), schema, mine, how, groups,
                                      send))
        child.start()
        send.close()
        children.append((child, receive, mine))
    try:
        applied = await _rebuild(settings, projections, schema, parts[0], progress, how,
                                 groups, list(parts[0]))
        for child, receive, mine in children:
            await asyncio.to_thread(child.join)
            if child.exitcode != 0 or not receive.poll():
                raise RuntimeError(f"rebuild process {child.pid} for {sorted(mine)} "
                                   f"ended with exit code {child.exitcode}")
            applied += receive.recv()
    finally:
        for child, receive, _ in children:
            if child.is_alive():
                child.terminate()
            receive.close()
    if progress is not None:  # it counted this process's partitions only
        progress.update(progress.total or 0)
        progress.finish()
    return applied


def _split(until: Offsets, processes: int) -> list[Offsets]:
    """`until` in up to `processes` parts by partition number; partitions with nothing to
    read go with the first part (one process when fewer than two partitions have records)."""
    busy = sorted({p for (_, p), end in until.items() if end > 0})
    if processes < 2 or len(busy) < 2:
        return [until]
    group = {p: i % processes for i, p in enumerate(busy)}
    parts: list[Offsets] = [{} for _ in range(min(processes, len(busy)))]
    for (topic, partition), end in until.items():
        parts[group.get(partition, 0)][(topic, partition)] = end
    return parts


def _child(settings: Settings, projections: list[Projection], schema: str, until: Offsets,
           how: dict[str, bool], groups: dict[str, str], send: Any) -> None:
    """A spawned process's part of `rebuild`: its partitions, its applied count sent back."""
    applied = asyncio.run(_rebuild(settings, projections, schema, until, None, how, groups,
                                   list(until)))
    send.send(applied)
    send.close()


async def _rebuild(settings: Settings, projections: Sequence[Projection], schema: str,
                   until: Offsets, progress: Progress | None, how: dict[str, bool],
                   groups: dict[str, str], assigned: list[tuple[str, int]] | None) -> int:
    """One process's rebuild: a runner per group of projections sharing topics, fed the
    partitions of `until` (`assigned`: only those, not shared through the group)."""
    trusted, shared = how["trusted"], how["shared"]
    runners: list[ProjectionRunner] = []

    def report(_: object) -> None:
        if progress is not None:
            progress.update(sum(r.progress.applied + r.progress.skipped for r in runners))

    tasks = []
    for group in (_sharing(projections) if shared else [[p] for p in projections]):
        names = {t.name(settings.topic_prefix) for p in group for t in p.topics}
        mine = {k: v for k, v in until.items() if k[0] in names}
        runner = ProjectionRunner(
            group[0], settings.bootstrap, settings.database_url, schema=schema,
            prefix=settings.topic_prefix, on_batch=report,
            group=groups[group[0].name],
            batch_size=REBUILD_BATCH, fetch_min_bytes=1, fetch_max_wait_ms=500,
            max_partition_fetch_bytes=1024 * 1024,  # a backlog: the client's default
            trusted=trusted, companions=group[1:],
            partitions=None if assigned is None else [k for k in assigned if k in mine],
        )
        runners.append(runner)
        stop = asyncio.Event()
        tasks.append(asyncio.create_task(_run(runner, stop, mine)))
    await asyncio.gather(*tasks)
    report(None)
    return sum(r.progress.applied for r in runners)


def _sharing(projections: Sequence[Projection]) -> list[list[Projection]]:
    """The projections in groups that read a common topic (each group: one consumer)."""
    groups: list[tuple[set[str], list[Projection]]] = []
    for projection in projections:
        bases = {t.base for t in projection.topics}
        joined = [g for g in groups if g[0] & bases]
        merged: tuple[set[str], list[Projection]] = (bases, [])
        for g in joined:
            groups.remove(g)
            merged[0].update(g[0])
            merged[1].extend(g[1])
        merged[1].append(projection)
        groups.append(merged)
    return [members for _, members in groups]


async def _run(runner: ProjectionRunner, stop: asyncio.Event, until: Offsets) -> None:
    watchdog = asyncio.create_task(_watch(runner, until, stop))
    try:
        await runner.run(stop, until=until)
    finally:
        stop.set()
        watchdog.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watchdog
