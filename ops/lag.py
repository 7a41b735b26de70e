"""`wic lag` (consumer lag per group and partition) and `wic health` (services' /health).

Lag is end offset minus committed offset, for every consumer group whose id starts with
the topic prefix: the faust apps (`<prefix><service>`) and the read-model projections
(`<prefix><schema>.<projection>`; they commit Kafka offsets after PostgreSQL, for this).
Groups left by `wic replay`/`verify` (`<prefix>replay.…`) are hidden unless `--all`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from dataclasses import dataclass
from typing import TextIO

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts import settings as settings_mod
from contracts.settings import Settings, kafka_security
from infra.migrate import SERVICES

HEALTH_PORTS = dict(zip(SERVICES, (18081, 18082, 18083, 18084, 18085), strict=True))


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: nothing committed on this partition yet
    end: int
    start: int = 0  # where a group without a commit begins (earliest retained offset)

    @property
    def lag(self) -> int:
        return max(0, self.end - (self.start if self.committed is None else self.committed))


async def consumer_lag(settings: Settings, include_replays: bool = False) -> list[Lag]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                request_timeout_ms=10000)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        groups = sorted(g[0] for g in await admin.list_consumer_groups()
                        if str(g[0]).startswith(settings.topic_prefix))
        if not include_replays:
            groups = [g for g in groups
                      if not g[len(settings.topic_prefix):].startswith("replay.")]
        committed: dict[str, dict[TopicPartition, int]] = {}
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            committed[group] = {tp: om.offset for tp, om in offsets.items() if om.offset >= 0}
        # A group reads every partition of its topics, including those it committed nothing
        # on yet (e.g. no record there so far): list them too, or lag would hide them.
        cluster = await consumer._client.fetch_all_metadata()
        wanted: dict[str, list[TopicPartition]] = {}
        for group, offsets in committed.items():
            topics = {tp.topic for tp in offsets}
            wanted[group] = sorted(TopicPartition(t, p) for t in topics
                                   for p in cluster.partitions_for_topic(t) or ())
        tps = sorted({tp for w in wanted.values() for tp in w})
        ends = await consumer.end_offsets(tps) if tps else {}
        starts = await consumer.beginning_offsets(tps) if tps else {}
        return [Lag(g, tp.topic, tp.partition, committed[g].get(tp), int(ends[tp]),
                    int(starts[tp]))
                for g in groups for tp in wanted[g]]
    finally:
        await consumer.stop()
        await admin.close()


async def lag(settings: Settings, include_replays: bool = False, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    rows = await consumer_lag(settings, include_replays)
    table = [("GROUP", "TOPIC", "PART", "COMMITTED", "END", "LAG")]
    table += [(r.group, r.topic, str(r.partition), "-" if r.committed is None else str(r.committed),
               str(r.end), str(r.lag))
              for r in rows]
    widths = [max(len(t[i]) for t in table) for i in range(6)]
    for t in table:
        print("  ".join(c.rjust(w) if i >= 2 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(t, widths, strict=True))).rstrip(),
              file=out)
    totals: dict[str, int] = {}
    for r in rows:
        totals[r.group] = totals.get(r.group, 0) + r.lag
    for group, total in totals.items():
        print(f"total lag {group}: {total}", file=out)
    if not rows:
        print(f"no consumer groups with prefix {settings.topic_prefix!r}", file=out)
    return 0


def health(host: str = "127.0.0.1", out: TextIO | None = None) -> int:
    """GET /health of each service on its default port; 0 only if all answer 200."""
    out = out or sys.stdout
    bad = 0
    for service, port in HEALTH_PORTS.items():
        url = f"http://{host}:{port}/health"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                state = f"ready ({json.loads(resp.read()).get('service', service)})"
        except urllib.error.HTTPError as exc:
            state, bad = f"not ready (HTTP {exc.code})", bad + 1
        except OSError as exc:
            state, bad = f"down ({getattr(exc, 'reason', exc)})", bad + 1
        print(f"{service:<13} {url:<32} {state}", file=out)
    return 0 if bad == 0 else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "lag", help="consumer lag per group and partition",
        description="For each consumer group whose id starts with WIC_TOPIC_PREFIX: committed "
        "offset, end offset and lag per partition, then the total per group.",
        epilog="examples:\n  wic lag\n  wic lag --all     also the groups left by replay/verify",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--all", action="store_true",
                   help="include the consumer groups of past replays and verifies")
    p.set_defaults(func=lambda a: asyncio.run(lag(settings_mod.load(), a.all)))
    h = subparsers.add_parser(
        "health", help="GET /health of every service (ports 18081-18085)",
        description="Asks each service's HTTP /health: 200 once it has joined its consumer "
        "group and recovered its tables. Exit 0 only if all five are ready.",
        epilog="example:\n  wic health --host 10.0.0.5",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    h.add_argument("--host", default="127.0.0.1", help="where the services run (default "
                   "127.0.0.1)")
    h.set_defaults(func=lambda a: health(a.host))
