"""Answer a query from the worker that owns the key's partition (issue 17 item 3).

With several workers of a service, a faust table or an in-memory state holds only the
partitions its worker was assigned. A query about a key is answered by the partition's
owner: asked elsewhere, the worker forwards the request (method, path, query, headers —
the caller's credential is checked again by the owner) to the owner's web port, learnt
from faust's partition assignor (every worker advertises its `canonical_url` in the
group's metadata), and hands its answer back unchanged. Asked at the owner, it answers
itself. Between an owner's death and the next assignment nobody owns the partition: 503
`not_ready`, retry — never a wrong "not found" from a worker that does not hold the key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp
import faust
from aiokafka.partitioner import murmur2
from faust.exceptions import SameNode
from faust.web import Request, Response, View
from yarl import URL

from contracts.runtime.http import error
from contracts.settings import worker_partitions

FORWARD_TIMEOUT = 5.0  # seconds: the owner answers from its own store, in milliseconds
FORWARDED = "X-Wic-Forwarded"  # set on a forwarded request: the owner must not forward again
_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection"})

Local = Callable[[], Awaitable[Response]]


def partition_of(key: bytes, partitions: int) -> int:
    """The partition a producer puts `key` in (Kafka's default partitioner: murmur2, as
    Java's and aiokafka's) — computed here, because faust's `key_store` asks its producer,
    which knows no partition count for a topic it has not written to yet (a 500)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def _owner(metadata: Mapping[str, Mapping[str, Sequence[int]]], topic: str,
           partition: int) -> URL | None:
    for url, topics in metadata.items():
        if partition in topics.get(topic, ()):
            return URL(url)
    return None


def owner_of_table(app: faust.App, table: Any, key: bytes) -> URL | None:
    """The web URL of the worker holding `key`'s partition of `table` actively (None:
    unassigned), from the assignment faust shares with every member."""
    partitions = table.partitions or worker_partitions()
    return _owner(app.assignor.tables_metadata(), table.changelog_topic_name,
                  partition_of(key, partitions))


def owner_of_topic(app: faust.App, topic: str, partition: int = 0) -> URL | None:
    """The web URL of the worker consuming `partition` of `topic` (None: unassigned)."""
    return _owner(app.assignor.external_topics_metadata(),  # type: ignore[attr-defined]
                  topic, partition)


def _same(a: URL, b: URL) -> bool:
    return (a.host, a.port) == (b.host, b.port)


async def answer_from_owner(app: faust.App, view: View, request: Request,
                            owner: URL | None, local: Local) -> Response:
    """`local()` if this worker owns the key (or was forwarded to: the sender thought so),
    else the owner's answer to the same request."""
    if request.headers.get(FORWARDED) or (owner is not None
                                          and _same(owner, URL(str(app.conf.canonical_url)))):
        return await local()
    if owner is None:  # between a worker's death and the next assignment
        return error(view, 503, "not_ready", "partitions being reassigned; retry")
    try:
        return await _forward(app, view, request, owner)
    except SameNode:
        return await local()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return error(view, 503, "owner_unreachable",
                     f"the worker holding this key ({owner}) did not answer: {exc!r}; retry")


async def _forward(app: faust.App, view: View, request: Request, owner: URL) -> Response:
    url = request.url.with_host(owner.host or "127.0.0.1").with_port(owner.port)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
    headers[FORWARDED] = "1"
    timeout = aiohttp.ClientTimeout(total=FORWARD_TIMEOUT)
    async with app.http_client.request(request.method, url, headers=headers,
                                       timeout=timeout) as resp:
        body = await resp.read()
        return view.bytes(body, content_type=resp.content_type or "application/json",
                          status=resp.status)
