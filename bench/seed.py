"""Put W registered-and-approved workers on a run's topics, as the services would have.

Writes, keyed by worker id: `registration-events` (2 events per worker: applied, approved),
`registration-coverage` (the worker's final `WorkerCoverage` snapshot — the topic is
compacted, so this is the log after compaction) and the changelog of the registration
service's faust table `worker_state` (the decision state after both commands). Commands and
replies are not written: nothing reads them on a restart. Records come from
`bench.gen.Generator`, checked against the registration service's own output first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from aiokafka.admin import NewTopic

from bench import gen
from bench.kafka import produce_bulk
from contracts import topics
from contracts.settings import Settings, worker_partitions
from ops.progress import Progress


def changelog_topic(prefix: str, service: str = "registration", table: str = "worker_state") -> str:
    """faust's name for a table's changelog: `<app id>-<table>-changelog`."""
    return f"{prefix}{service}-{table}-changelog"


@dataclass(frozen=True)
class Seeded:
    workers: int
    events: int
    seconds: float


async def ensure_changelog(settings: Settings) -> str:
    from infra.topics import admin

    name = changelog_topic(settings.topic_prefix)
    async with admin(settings.bootstrap) as client:
        if name not in await client.list_topics():
            await client.create_topics([NewTopic(name, worker_partitions(), 1,
                                                 topic_configs={"cleanup.policy": "compact"})])
    return name


async def seed(settings: Settings, workers: int, start: int = 0, events: bool = True) -> Seeded:
    """Workers `start .. start+workers-1`; returns what was written and how long it took.

    Without `events` only the snapshot and the changelog are written: the services then
    know every registration (their tables recover them) while the registration read model
    stays empty — the memory phase measures the tables, not a projection catching up.
    """
    g = gen.Generator()
    g.check()
    began = time.perf_counter()
    prefix = settings.topic_prefix
    changelog = await ensure_changelog(settings)
    records = [g.records(i) for i in _progress(range(start, start + workers), "generate")]
    keys = [gen.worker_id(i).encode() for i in range(start, start + workers)]

    def pairs() -> Iterator[tuple[bytes, bytes]]:
        for k, r in zip(keys, records, strict=True):
            for v in r.events:
                yield k, v

    n_events = 0
    if events:
        n_events = await produce_bulk(
            settings.bootstrap, topics.REGISTRATION_EVENTS.name(prefix), pairs(),
            worker_partitions(), Progress("seed registration-events", 2 * workers))
    await produce_bulk(settings.bootstrap, topics.REGISTRATION_COVERAGE.name(prefix),
                       ((k, r.coverage[-1]) for k, r in zip(keys, records, strict=True)),
                       worker_partitions(), Progress("seed registration-coverage", workers))
    await produce_bulk(settings.bootstrap, changelog,
                       ((k, r.state) for k, r in zip(keys, records, strict=True)),
                       worker_partitions(), Progress("seed worker_state changelog", workers))
    return Seeded(workers, n_events, time.perf_counter() - began)


def _progress(items: range, label: str) -> Iterator[int]:
    p = Progress(f"{label} {len(items)} workers", len(items), unit="workers")
    for n, i in enumerate(items, 1):
        if n % 10_000 == 0:
            p.update(n)
        yield i
    p.update(len(items))
    p.finish()
