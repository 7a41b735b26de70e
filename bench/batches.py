"""Records per agent batch during a phase, from each service's `GET /metrics`.

Per-batch costs (the delivery wait, a changelog record per key, a position record per
input partition, faust's commits) are paid once per batch, so records per batch says how
often a hospital message pays them (docs/performance.md, "Fifth round, second pass").
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections import Counter
from collections.abc import Iterable

from prometheus_client.parser import text_string_to_metric_families

SERIES = {"wic_decision_latency_seconds_count": "batches",
          "wic_faust_messages_received_per_topic_total": "records"}

Counts = Counter[tuple[str, str, str]]  # (service, "batches" | "records", topic) -> total


def parse(service: str, exposition: str, prefix: str) -> Counts:
    """The batch and record totals per input topic in one service's exposition."""
    counts: Counts = Counter()
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            kind = SERIES.get(sample.name)
            if kind is not None and "topic" in sample.labels:
                topic = sample.labels["topic"].removeprefix(prefix)
                counts[(service, kind, topic)] += int(sample.value)
    return counts


def describe(before: Counts, after: Counts) -> str:
    """One line: records per batch of each agent input between the two scrapes."""
    parts = []
    for (service, kind, topic), total in sorted(after.items()):
        batches = total - before.get((service, kind, topic), 0)
        if kind != "batches" or batches <= 0:
            continue
        records = (after.get((service, "records", topic), 0)
                   - before.get((service, "records", topic), 0))
        parts.append(f"{service} {topic} {records / batches:.1f} ({records:,} in "
                     f"{batches:,} batches)")
    return "records per agent batch: " + ("; ".join(parts) or "no batches")


async def scrape(services: Iterable[tuple[str, str]], prefix: str) -> Counts:
    """Sum of `parse` over (service name, base URL); a service that does not answer counts
    nothing (the figure is a diagnostic, never a failure)."""
    def get(url: str) -> str:
        with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
            return str(response.read().decode())

    counts: Counts = Counter()
    for name, url in services:
        try:
            text = await asyncio.to_thread(get, url)
        except OSError:
            continue
        counts += parse(name.partition("#")[0], text, prefix)
    return counts
