"""Refuse to start on worker-keyed topics that are not co-partitioned as configured.

A service finds "this worker's registrations" in a local table on the partition it is
processing (docs/architecture.md, "Topics"). That holds only while every worker-keyed topic
it reads or writes, and its tables' changelogs, have the same partition count: with 4 on
one topic and 12 on another the same worker lands on different partitions, a worker's
coverage is looked up where it is not, and genuine admissions are refused. The count is one
setting (`WIC_WORKER_PARTITIONS`, `contracts.settings.worker_partitions`); a service
started against topics that disagree with each other or with it exits with status 2 and one
line naming each topic and its count (docs/operations.md, "Partitions").

A topic that does not exist yet is not judged (infra creates topics; faust waits for them);
a broker that does not answer skips the check with a line on stderr (as `login`: faust's
own retries handle an unreachable broker).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Mapping

from contracts import topics as registry
from contracts.settings import Settings, kafka_security

NOT_CO_PARTITIONED = 2
TIMEOUT = 10.0
# A topic created a moment ago is described as LEADER_NOT_AVAILABLE (or without partitions)
# until the broker's metadata catches up, and as TOPIC_AUTHORIZATION_FAILED until the ACLs
# created with it take effect (seen on a loaded two-core host): asked again for up to
# TIMEOUT seconds, not skipped at once.
SETTLING = (5, 29)


def service_topics(service: registry.Writer) -> list[registry.Topic]:
    """The co-partitioned registry topics `service` writes, co-writes or reads."""
    return [t for t in registry.ALL if t.co_partitioned
            and (t.writer == service or service in t.readers or service in t.co_writers)]


def mismatch(counts: Mapping[str, int], expected: int) -> str | None:
    """Why these topics (name -> partition count) are not co-partitioned with `expected`
    partitions each, or None when they are. Pure: the start-up check's whole judgement."""
    if all(n == expected for n in counts.values()):
        return None
    by_count: dict[int, list[str]] = {}
    for name, n in sorted(counts.items()):
        by_count.setdefault(n, []).append(name)
    found = "; ".join(f"{n} partitions: {', '.join(names)}"
                      for n, names in sorted(by_count.items()))
    if len(by_count) == 1:
        (only,) = by_count
        why = (f"the worker-keyed topics have {only} partitions each but "
               f"WIC_WORKER_PARTITIONS is {expected}")
    else:
        why = (f"the worker-keyed topics are not co-partitioned (WIC_WORKER_PARTITIONS is "
               f"{expected})")
    return (f"{why} — {found}. Set WIC_WORKER_PARTITIONS to the topics' count, or grow "
            "them as docs/operations.md (\"Partitions\") says: new topics under a new "
            "prefix and a replay from the log, never adding partitions to a keyed topic")


async def partition_counts(settings: Settings, names: Iterable[str],
                           timeout: float = TIMEOUT) -> dict[str, int] | None:
    """Partition count of each named topic that exists (and this principal may describe);
    None if the broker does not answer."""
    from aiokafka.admin import AIOKafkaAdminClient

    wanted = sorted(set(names))
    client = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap,
                                 request_timeout_ms=int(timeout * 1000),
                                 **kafka_security(settings))
    try:
        await asyncio.wait_for(client.start(), timeout)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            described = await asyncio.wait_for(client.describe_topics(wanted), timeout)
            settling = [d for d in described if d.get("error_code") in SETTLING
                        or (d.get("error_code") == 0 and not d.get("partitions"))]
            if not settling or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.3)
    except Exception:  # unreachable or refused: not this check's judgement (see above)
        return None
    finally:
        await client.close()
    return {d["topic"]: len(d["partitions"]) for d in described if d.get("partitions")}


def check(settings: Settings, app_id: str, changelogs: Iterable[str] = ()) -> None:
    """Exit with status 2 and the reason if this service's worker-keyed topics (and its
    tables' `changelogs`) are not co-partitioned with `settings.worker_partitions`."""
    service = registry.Writer(app_id.removeprefix(settings.topic_prefix))
    names = [t.name(settings.topic_prefix) for t in service_topics(service)] + list(changelogs)
    counts = asyncio.run(partition_counts(settings, names))
    if counts is None:
        sys.stderr.write(f"{app_id}: partition check skipped: Kafka at {settings.bootstrap} "
                         "did not answer\n")
        return
    why = mismatch(counts, settings.worker_partitions)
    if why is None:  # one line at start-up: what was judged (and what did not exist yet)
        sys.stderr.write(f"{app_id}: partitions checked: {len(counts)} worker-keyed topics "
                         f"with {settings.worker_partitions} each; {len(names) - len(counts)} "
                         "not created yet or not readable\n")
        return
    sys.stderr.write(f"{app_id}: not starting: {why}\n")
    sys.stderr.flush()
    raise SystemExit(NOT_CO_PARTITIONED)
