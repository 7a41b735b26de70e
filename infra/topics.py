"""Create the registry's topics (idempotently) and delete a test run's prefixed topics.

`contracts.topics` is the only place topic names and settings are written down; this module
just turns each `Topic` into a `NewTopic` with `topic.config()`. Creating is idempotent:
"already exists" (error 36) is fine, any other error code is raised. With the topics come
their ACLs (`contracts.acl.bindings` for the same prefix, `infra.acls`), and with a test
run's topics its ACLs go; both act as the `admin` principal (a super user) unless told.
Each topic has the replication factor of the settings (`WIC_KAFKA_REPLICATION`: 1 on the dev
broker, 3 on `wic up --brokers 3`) and `min.insync.replicas` one less, at most 2, so that with
the producers' `acks=all` a delivered record is on two brokers before anyone acts on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from contracts import acl
from contracts import topics as registry
from contracts.settings import KafkaAuth, kafka_security, min_insync, replication
from infra import acls, secrets
from infra.errors import StackError

TOPIC_ALREADY_EXISTS = 36
UNKNOWN_TOPIC = 3
CONNECT_TIMEOUT = 10.0
READY_TIMEOUT = 15.0


@asynccontextmanager
async def admin(bootstrap: str, timeout: float = CONNECT_TIMEOUT,
                auth: KafkaAuth | None = None) -> AsyncIterator[Any]:
    """A started AIOKafkaAdminClient (as `auth`, else as `admin`: provisioning is an admin's
    act), closed afterwards; a clear error if Kafka is away."""
    from aiokafka.admin import AIOKafkaAdminClient

    auth = auth or secrets.admin_auth()
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap,
                                 request_timeout_ms=int(timeout * 1000), **kafka_security(auth))
    try:
        await asyncio.wait_for(client.start(), timeout)
    except Exception as exc:
        await client.close()
        raise StackError(f"Kafka at {bootstrap} did not answer within {timeout:.0f} s "
                         "(is the stack up? run `wic up`).") from exc
    try:
        yield client
    finally:
        await client.close()


async def ensure_topics(
    bootstrap: str,
    prefix: str = "",
    topics: Iterable[registry.Topic] = registry.ALL,
    auth: KafkaAuth | None = None,
    replicas: int | None = None,
) -> list[str]:
    """Create every topic that does not exist yet and allow the run's ACLs; returns the
    names it created. `replicas`: the replication factor (default: the settings')."""
    from aiokafka.admin import NewTopic

    wanted = list(topics)
    if not wanted:
        return []
    replicas = replicas or replication()
    new = [NewTopic(t.name(prefix), t.partitions, replicas,
                    topic_configs={**t.config(), "min.insync.replicas": str(min_insync(replicas))})
           for t in wanted]
    async with admin(bootstrap, auth=auth) as client:
        await acls.create(client, acl.bindings(prefix))
        response = await client.create_topics(new)
        await _wait_usable(client, [t.name for t in new])
    created, failed = [], []
    for name, code, message in _errors(response):
        if code == 0:
            created.append(name)
        elif code != TOPIC_ALREADY_EXISTS:
            failed.append(f"{name}: error {code} {message or ''}".rstrip())
    if failed:
        raise StackError("Kafka refused to create topics: " + "; ".join(failed))
    return created


async def delete_topics(bootstrap: str, prefix: str, auth: KafkaAuth | None = None) -> list[str]:
    """Delete every topic whose name starts with `prefix` (which must not be empty), and
    the run's ACLs."""
    if not prefix:
        raise ValueError("delete_topics needs a non-empty prefix: it never deletes real topics")
    async with admin(bootstrap, auth=auth) as client:
        await acls.delete(client, acl.bindings(prefix))
        names = sorted(n for n in await client.list_topics() if n.startswith(prefix))
        if names:
            response = await client.delete_topics(names)
            bad = [(n, c) for n, c, _ in _errors(response) if c not in (0, UNKNOWN_TOPIC)]
            if bad:
                raise StackError(f"Kafka refused to delete topics: {bad}")
    return names


async def existing(bootstrap: str, prefix: str = "", auth: KafkaAuth | None = None) -> set[str]:
    """Registry topic names (with `prefix`) that exist on the broker (and that `auth` may
    describe)."""
    async with admin(bootstrap, auth=auth) as client:
        present = set(await client.list_topics())
    return {t.name(prefix) for t in registry.ALL} & present


async def partition_counts(bootstrap: str, names: Iterable[str],
                           auth: KafkaAuth | None = None) -> dict[str, int]:
    """Partition count of each named topic that exists."""
    async with admin(bootstrap, auth=auth) as client:
        described = await client.describe_topics(sorted(set(names)))
    return {t["topic"]: len(t["partitions"]) for t in described
            if t["error_code"] == 0 and t["partitions"]}


async def _wait_usable(client: Any, names: list[str], timeout: float = READY_TIMEOUT) -> None:
    """Wait until every topic has a leader for each partition: CreateTopics returns before
    the broker's metadata catches up, and a consumer started then would see no partitions."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        described = await client.describe_topics(names)
        ready = {
            t["topic"] for t in described
            if t["error_code"] == 0 and t["partitions"]
            and all(p["leader"] >= 0 for p in t["partitions"])
        }
        if ready >= set(names):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise StackError(f"Topics not usable {timeout:.0f} s after creation: "
                             f"{sorted(set(names) - ready)}")
        await asyncio.sleep(0.1)


def _errors(response: Any) -> list[tuple[str, int, str | None]]:
    """(topic, error_code, message) from a Create/DeleteTopics response of any version."""
    obj = response.to_object()
    rows = obj.get("topic_errors") or obj.get("topic_error_codes") or obj.get("responses") or []
    out = []
    for row in rows:
        name = row.get("topic") or row.get("name")
        out.append((str(name), int(row.get("error_code", 0)), row.get("error_message")))
    return out
