"""Replay: rebuild registration status and the clearing ledger from the log, vs raw consume.

The rebuild is what `wic replay` does (`ops.rebuild.rebuild`: the services' own
`ProjectionRunner`s into fresh schemas migrated like the live ones), bounded by the end
offsets fixed before it starts. The limit is a plain aiokafka consume of the same topic
partitions in the same run. The rebuilt tables' digests must equal the live schemas'
(the services' own projections, caught up to the same offsets).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import orjson

from bench.kafka import count_consume, end_offsets
from contracts import wire
from contracts.settings import Settings, kafka_security
from ops import digest, projections, rebuild, schemas
from ops.progress import Progress

SERVICES = ("registration", "clearing")


@dataclass(frozen=True)
class ReplayResult:
    mode: str
    load: str  # the 1-minute load average as the rebuild started
    events: int
    seconds: float
    raw_rate: float
    parse_rate: float
    decode_rate: float
    digests_equal: bool
    detail: str

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _topics(models: Sequence[projections.ReadModel], prefix: str) -> list[str]:
    return sorted({t.name(prefix) for m in models for p in m.projections for t in p.topics})


async def wait_caught_up(settings: Settings, models: Sequence[projections.ReadModel],
                         timeout: float = 3600.0) -> None:
    """Until the live projections' checkpoints reach the topics' current ends."""
    ends = await end_offsets(settings.bootstrap, _topics(models, settings.topic_prefix))
    total = sum(ends.values())
    progress = Progress("live projections catching up", total)
    deadline = time.monotonic() + timeout
    conn = await asyncpg.connect(settings.database_url)
    try:
        while True:
            done = 0
            for m in models:
                rows = await conn.fetch(f"SELECT topic, partition, next_offset FROM "
                                        f"{schemas.ident(m.service)}.checkpoints")
                done += sum(r["next_offset"] for r in rows)
            progress.update(done)
            if done >= total:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"live projections at {done}/{total} after {timeout:.0f} s")
            await asyncio.sleep(1.0)
    finally:
        await conn.close()
    progress.finish()


async def wait_agents_caught_up(settings: Settings, services: Sequence[str],
                                timeout: float = 900.0) -> None:
    """Until the services' faust agents have committed the whole coverage topic: encounter
    and clearing absorb every registration snapshot once after a first start; measuring the
    pipeline while they still do would charge that work to the hospital messages."""
    from aiokafka.admin import AIOKafkaAdminClient

    from contracts.topics import REGISTRATION_COVERAGE

    name = REGISTRATION_COVERAGE.name(settings.topic_prefix)
    ends = await end_offsets(settings.bootstrap, [name])
    groups = [f"{settings.topic_prefix}{s}" for s in services if s in ("encounter", "clearing")]
    total = sum(ends.values()) * len(groups)
    progress = Progress("agents absorbing registration coverage", total)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, **kafka_security(settings))
    await admin.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            done = 0
            for g in groups:
                offsets = await admin.list_consumer_group_offsets(g)
                done += sum(min(meta.offset, ends.get(tp, 0))
                            for tp, meta in offsets.items() if tp.topic == name)
            progress.update(done)
            if done >= total or time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
    finally:
        await admin.close()
    progress.finish()


async def _digests(url: str, schema: str, tables: Sequence[str]) -> list[digest.TableDigest]:
    conn = await asyncpg.connect(url)
    try:
        return await digest.digest_schema(conn, schema, tables)
    finally:
        await conn.close()


MODES = {
    # what `wic replay` does: the writers' records decoded without their checks again, one
    # consumer (one fetch, one decoding) per service's projections of the same topics
    "fast": {"trusted": True, "shared": True},
    # before the fifth round: every record through wire.decode, a consumer per projection
    "validated": {"trusted": False, "shared": False},
}


def _load() -> str:
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


async def run(settings: Settings, modes: Sequence[str] = ("fast",)) -> list[ReplayResult]:
    """Rebuild both read models into fresh schemas, once per mode in `modes`, in order (an
    A/B in one sitting, on the same log); each rebuild's digests against live, and the raw
    consume of the same topics measured just before it (the host's speed drifts)."""
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise SystemExit(f"--replay-modes: {', '.join(unknown) or '(none)'}: "
                         f"choose from {', '.join(MODES)}")
    models = [projections.load(s) for s in SERVICES]
    names = _topics(models, settings.topic_prefix)
    # The first read warms the broker's page cache; the limit is the warm read.
    await count_consume(settings.bootstrap, names, "raw consume (warm-up)")
    _, parse_rate = await count_consume(settings.bootstrap, names, "raw consume + orjson.loads",
                                        parse=orjson.loads)
    _, decode_rate = await count_consume(settings.bootstrap, names, "raw consume + wire.decode",
                                         parse=wire.decode)
    results = []
    for mode in modes:
        _, raw_rate = await count_consume(settings.bootstrap, names, "raw consume (same topics)")
        events, seconds, equal, detail, load = await _rebuild(settings, models, MODES[mode])
        results.append(ReplayResult(mode, load, events, seconds, raw_rate, parse_rate,
                                    decode_rate, equal, detail))
    return results


async def _rebuild(settings: Settings, models: Sequence[projections.ReadModel],
                   how: dict[str, bool]) -> tuple[int, float, bool, str, str]:
    fresh = {m.service: f"{m.service}_bench_rebuild" for m in models}
    for m in models:
        await schemas.drop_schema(settings.database_url, fresh[m.service])
        await schemas.create_schema(settings.database_url, fresh[m.service], m.sql_files)
    plans = []
    for m in models:
        topics = [t for p in m.projections for t in p.topics]
        plans.append((m, await rebuild.end_offsets(settings, topics)))
    total = sum(sum(until.values()) for _, until in plans)
    progress = Progress("replay registration + clearing", total)

    async def one(m: projections.ReadModel, until: rebuild.Offsets) -> int:
        return await rebuild.rebuild(settings, m.projections, fresh[m.service], until,
                                     trusted=how["trusted"], shared=how["shared"])

    load = _load()
    started = time.perf_counter()
    ticker = asyncio.create_task(_tick(progress, plans, fresh, settings))
    try:
        applied = await asyncio.gather(*(one(m, u) for m, u in plans))
    finally:
        ticker.cancel()
    seconds = time.perf_counter() - started
    progress.update(total)
    progress.finish()
    equal, lines = True, []
    for m in models:
        live = await _digests(settings.database_url, m.service, m.tables)
        rebuilt = await _digests(settings.database_url, fresh[m.service], m.tables)
        for a, b in zip(live, rebuilt, strict=True):
            same = a.sha256 == b.sha256 and a.rows == b.rows
            equal &= same
            lines.append(f"{m.service}.{a.table}: {a.rows} rows live, {b.rows} rebuilt, "
                         f"{'equal' if same else 'DIFFERENT'} sha256 {a.sha256[:12]}")
    for m in models:
        await schemas.drop_schema(settings.database_url, fresh[m.service])
    return sum(applied), seconds, equal, "\n".join(lines), load


async def _tick(progress: Progress, plans: Sequence[tuple[projections.ReadModel, rebuild.Offsets]],
                fresh: dict[str, str], settings: Settings) -> None:
    """Overall progress from the rebuilt schemas' checkpoints (every 2 s)."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        while True:
            await asyncio.sleep(2.0)
            done = 0
            for m, _ in plans:
                done += int(await conn.fetchval(
                    f"SELECT COALESCE(SUM(next_offset), 0) FROM "
                    f"{schemas.ident(fresh[m.service])}.checkpoints") or 0)
            progress.update(done)
    finally:
        await conn.close()
