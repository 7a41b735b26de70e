"""The faust configuration every service uses, so the four apps differ only in their agents.

Why these settings: raw bytes in and out (our own envelope does validation, faust Records do
not); RocksDB tables (local, rebuilt from their changelog topics when missing); the
replication factor of the settings (1 on the dev broker, 3 on a cluster:
`WIC_KAFKA_REPLICATION`) with `acks=all` (`producer_acks=-1`), so a delivered output is on
`min.insync.replicas` brokers; `consumer_auto_offset_reset=earliest` so a new group reads
the whole log.
Agents must run with `concurrency=1` (an open faust bug can commit past an in-flight message
otherwise), and effects are idempotent instead of trusting faust's exactly-once mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import faust
import mode
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

from contracts.runtime import login, metrics, partitions
from contracts.runtime.rejection import Send
from contracts.settings import (
    KafkaCredentialsMissing,
    Settings,
    kafka_security,
    min_insync,
    worker_partitions,
)
from contracts.topics import Topic

MIB = 1024 * 1024
# Per partition store. faust's defaults (64 MiB write buffer, up to 3 of them, a 2 GiB block
# cache) keep a table of 50,000 workers wholly in memtables: over 1 KiB of RSS per worker.
# Small buffers flush it to the store's files early; reads are served by the decoded
# caches beside the tables (`batching.DecodedCache`) and the page cache. Twelve partitions
# (issue 17) made 4 MiB buffers and an 8 MiB cache per partition too many: 1 MiB each
# (docs/performance.md "Fifth round: memory").
STORE_OPTIONS = {"write_buffer_size": 1 * MIB, "max_write_buffer_number": 2,
                 "block_cache_size": 1 * MIB}


# How long the broker may hold the agents' fetch when none of its partitions has data.
# faust 0.15.3 hard-codes 1,500 ms. aiokafka leaves a partition out of the next fetch while
# records of it are still waiting to be handed over, so that fetch may ask only for idle
# partitions and be held the whole wait while the busy ones fill up, every agent of the
# process waiting meanwhile (aiokafka's `Fetcher._get_actions_per_node`; docs/performance.md).
AGENT_FETCH_MAX_WAIT_MS = 50

# What the broker returns per partition and fetch (faust's default 1 MiB). aiokafka keeps a
# fetched partition's records until they are handed over, so a first start reading twelve
# partitions held up to 12 MiB of records per consumer: at 50,000 registrations that was
# the peak RSS, 1.3–1.6 KiB per registration (docs/performance.md "Fifth round: memory").
# 256 KiB per partition is still ~350 hospital messages per partition and fetch; the broker
# returns a larger first batch whole regardless (KIP-74). WIC_FETCH_PARTITION_BYTES overrides.
FETCH_PARTITION_BYTES = int(os.environ.get("WIC_FETCH_PARTITION_BYTES", str(256 * 1024)))

SESSION_TIMEOUT = float(os.environ.get("WIC_SESSION_TIMEOUT", "10"))  # seconds

# Standby replicas (issue 17 item 2), set deliberately: 1. With two or more workers of a
# service, every table partition a worker does not own is kept warm on one other worker
# (faust reads its changelog continuously into that worker's own RocksDB store), so when
# the owner dies the survivor that takes the partition over recovers only the last few
# changelog records instead of replaying the whole changelog. More replicas would cost a
# full extra copy of every table per replica (disk, changelog reads) for no faster
# takeover: one warm copy is enough for one failure at a time. With a single worker faust
# assigns none (there is nobody else). Queries do NOT read standbys: an answer comes from
# the partition's owner (`contracts.runtime.routing`), standbys can lag.
STANDBY_REPLICAS = int(os.environ.get("WIC_STANDBY_REPLICAS", "1"))
HEARTBEAT_INTERVAL = min(1.0, SESSION_TIMEOUT / 3)


def _agents_fetch_wait(create: Callable[..., Any]) -> Callable[..., Any]:
    def create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = create(self, transport)
        consumer._fetch_max_wait_ms = AGENT_FETCH_MAX_WAIT_MS  # read by start() (aiokafka)
        return consumer
    return create_worker_consumer


AIOKafkaConsumerThread._create_worker_consumer = _agents_fetch_wait(  # type: ignore[method-assign]
    AIOKafkaConsumerThread._create_worker_consumer)


# A stop that cannot finish (broker down: faust's consumer and producer wait on it for
# their request timeouts, 90 s and more) must not keep a stopped service alive: after this
# many seconds of shutdown the process exits as after a crash, which loses nothing (state
# is stored only after its outputs were delivered; the next start decides the rest again).
SHUTDOWN_GRACE = float(os.environ.get("WIC_SHUTDOWN_GRACE", "15"))  # seconds


def _exit_when_stuck(schedule: Callable[..., Any]) -> Callable[..., Any]:
    def schedule_shutdown(self: Any, signum: Any) -> Any:
        watchdog = threading.Timer(SHUTDOWN_GRACE, _exit_now, args=(signum,))
        watchdog.daemon = True  # a shutdown that finishes in time ends the process anyway
        watchdog.start()
        return schedule(self, signum)
    return schedule_shutdown


def _exit_now(signum: Any) -> None:
    name = getattr(signum, "name", signum)
    sys.stderr.write(f"shutdown on {name} did not finish in {SHUTDOWN_GRACE:.0f} s (broker or "
                     "database unreachable?): exiting as after a crash; the next start "
                     "decides again whatever was not stored\n")
    sys.stderr.flush()
    os._exit(1)


mode.Worker._schedule_shutdown = _exit_when_stuck(  # type: ignore[method-assign]
    mode.Worker._schedule_shutdown)


def table(app: faust.App, name: str, partitions: int | None = None) -> Any:
    """A bytes -> bytes table (the values are our JSON) with the store options above;
    co-partitioned with the worker-keyed topics unless told otherwise."""
    return app.Table(name, default=None, key_type=bytes, value_type=bytes,
                     partitions=partitions or worker_partitions(),
                     options=dict(STORE_OPTIONS))  # a copy: faust pops keys off it


class Assignments:
    """Has this worker been newly given a partition of `topics` since it last asked?

    A state kept in memory (`runner.OneState`: clearing's ledger, benefits' book) is
    rebuilt from its own log when the agent starts. With several workers of a service that
    is not enough: a worker that starts as a bystander and is given the partition later (its
    owner died) would decide on the state as it was when it started, missing everything the
    owner recorded meanwhile — and decide those inputs again (issue 17 item 2). faust calls
    `on_partitions_assigned` before any record of the new assignment is fetched, so the
    agent, asking before each batch, rebuilds before it decides anything of it."""

    def __init__(self, app: faust.App, topics: Iterable[str]) -> None:
        self.topics = frozenset(topics)
        self._held: set[Any] = set()
        self._new: set[Any] = set()
        app.on_partitions_assigned.connect(self._assigned)  # type: ignore[arg-type]

    async def _assigned(self, sender: Any, assigned: Any, **_: Any) -> None:
        mine = {tp for tp in assigned if tp.topic in self.topics}
        self._new = (self._new | (mine - self._held)) & mine
        self._held = mine

    def gained(self) -> set[Any]:
        """The partitions of `topics` this worker was given since it last asked (and still
        holds); empty if none."""
        gained, self._new = self._new, set()
        return gained


def credentials(settings: Settings) -> faust.SASLCredentials | None:
    """faust's form of `kafka_security` (the same principal and password)."""
    try:
        security = kafka_security(settings)
    except KafkaCredentialsMissing:
        return None  # `run` refuses to start with the reason (`login.check`)
    if not security:
        return None
    return faust.SASLCredentials(username=security["sasl_plain_username"],
                                 password=security["sasl_plain_password"],
                                 mechanism=security["sasl_mechanism"])


def create(service: str, settings: Settings, default_web_port: int) -> faust.App:
    data_root = Path(os.environ.get("WIC_DATA_DIR", ".local/faust"))
    app_id = f"{settings.topic_prefix}{service}"
    (data_root / app_id).mkdir(parents=True, exist_ok=True)
    app = faust.App(
        app_id,
        broker=settings.faust_broker,
        broker_credentials=credentials(settings),
        # RocksDB (rocksdict): a restart reads only the changelog written since the local
        # store's offsets, not the whole changelog (docs/performance.md: 14.6 s -> 2.1 s at
        # 100,000 registrations). A RocksDB table answers from the partition being processed;
        # a look-up of another partition's key reads outside it (`batching.as_current(None)`).
        store=os.environ.get("WIC_FAUST_STORE", "rocksdb://"),
        datadir=str(data_root / app_id),
        key_serializer="raw",
        value_serializer="raw",
        topic_replication_factor=settings.replication,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        web_host=os.environ.get("WIC_WEB_HOST", "127.0.0.1"),
        web_port=int(os.environ.get("WIC_WEB_PORT", default_web_port)),
        web_in_thread=False,
        producer_acks=-1,
        consumer_max_fetch_size=FETCH_PARTITION_BYTES,
        # Agents hand a whole batch's outputs to the producer and await them together
        # (contracts/runtime/batching.py); a short linger lets them share produce requests.
        # No measurable change on the two-core dev machine (docs/performance.md), at most
        # 2 ms per hop; WIC_PRODUCER_LINGER (seconds) overrides.
        producer_linger=float(os.environ.get("WIC_PRODUCER_LINGER", "0.002")),
        # A SIGKILLed worker holds its partitions until the broker stops hearing from it;
        # faust's 60 s made every crash cost a minute (issue 14 finding 2). 10 s with a
        # heartbeat a second: a restart serves again in seconds (docs/operations.md).
        broker_session_timeout=SESSION_TIMEOUT,
        broker_heartbeat_interval=HEARTBEAT_INTERVAL,
        broker_commit_every=100,
        broker_commit_interval=0.5,
        table_cleanup_interval=3600.0,
        table_standby_replicas=STANDBY_REPLICAS,
    )

    async def probe() -> tuple[bool, dict[str, bool], bool]:
        return (ready(app), agents_alive(app),
                await broker_reachable(settings.bootstrap, metrics.BROKER_TIMEOUT))

    metrics.install(app, service, probe)  # GET /metrics (docs/operations.md)
    app.task(_root_logger_at_cli_level)

    @app.task
    async def _freeze_startup_heap() -> None:
        await freeze_when_ready(app)

    return app


async def freeze_when_ready(app: faust.App, poll: float = 0.5) -> None:
    """Once the worker serves, move the objects made at start-up out of the collector's way.

    A service's heap is mostly what start-up made (modules, classes, faust's and pydantic's
    machinery: ~115,000 tracked objects) and lives as long as the process. CPython's full
    collection walks all of them: 40-150 ms with the whole world stopped, several times a
    minute under load — the tail of every latency the services answer with (measured with a
    `gc.callbacks` probe, docs/performance.md, fourth round). `gc.freeze()` moves them to the
    permanent generation, so later collections walk only what was made since.
    """
    while not ready(app):
        await asyncio.sleep(poll)
    gc.collect()
    gc.freeze()


async def _root_logger_at_cli_level() -> None:
    """Undo the DEBUG level faust's worker gives the root logger at `-l warn` or above.

    faust's terminal spinner (`faust.worker.Worker._setup_spinner_handler`) sets the root
    logger to DEBUG so that every record moves the spinner; aiokafka and faust then build a
    LogRecord for every debug call (several per message sent or fetched), only for the
    handler to drop it — measured at ~5% of a service's CPU (docs/performance.md). The
    console handler keeps the level given on the command line; the root logger takes it
    again here, once the worker has set logging up.
    """
    root = logging.getLogger()
    levels = [h.level for h in root.handlers
              if h.level > logging.NOTSET and type(h).__name__ != "SpinnerHandler"]
    if levels:
        root.setLevel(min(levels))


def topic(app: faust.App, spec: Topic, settings: Settings) -> faust.TopicT:
    """Declare a registry topic on the app (raw bytes; created by infra, never by faust)."""
    return app.topic(
        spec.name(settings.topic_prefix),
        key_type=bytes,
        value_type=bytes,
        partitions=spec.partitions,
        internal=False,
    )


def ready(app: faust.App) -> bool:
    """Serving: partitions assigned and tables recovered (not merely the web port open)."""
    recovery = app.tables.recovery  # type: ignore[attr-defined]
    return bool(recovery.completed.is_set() and not app.rebalancing and not recovery.in_recovery)


def agents_alive(app: faust.App) -> dict[str, bool]:
    """Each agent: is one of its actors still running? (A crashed agent stops deciding
    while the web server goes on answering.)"""
    alive: dict[str, bool] = {}
    for name, agent in app.agents.items():
        actors = list(getattr(agent, "_actors", ()))
        alive[name.rsplit(".", 1)[-1]] = any(
            a.actor_task is not None and not a.actor_task.done() and not a.crashed
            for a in actors)
    return alive


async def broker_reachable(bootstrap: str, timeout: float = 1.0) -> bool:
    """Does any bootstrap server accept a TCP connection within `timeout`?"""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
        except (TimeoutError, OSError, ValueError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False


def add_health(app: faust.App, settings: Settings, read_models: Any = None) -> None:
    """`GET /health`: 200 while the worker serves (partitions assigned, tables recovered),
    every agent runs and the broker answers; 503 otherwise, saying which. A read model
    waiting to restart (database down) makes it "degraded", still 200: decisions go on,
    only queries wait (docs/operations.md, "Health")."""

    @app.page("/health")  # type: ignore[arg-type]
    async def health(web: faust.web.Web, request: faust.web.Request) -> faust.web.Response:
        serving = ready(app)
        agents = agents_alive(app)
        broker = await broker_reachable(settings.bootstrap)
        failing = dict(getattr(read_models, "failing", {}) or {})
        ok = serving and broker and all(agents.values())
        status = "degraded" if ok and failing else ("ok" if ok else "unavailable")
        body = {"service": app.conf.id, "ready": serving, "status": status,
                "broker_reachable": broker, "agents": agents,
                "read_models_failing": failing}
        return web.json(body, status=200 if ok else 503)


def sender(app: faust.App) -> Send:
    """Produce one record and wait until the broker has it.

    Agents store "this input is done" in a table only after their output is delivered;
    otherwise a crash could keep the table's changelog write and lose the events.
    """

    async def send(name: str, key: bytes | None, value: bytes) -> None:
        fut = await app.send(name, key=key, value=value)
        await fut

    return send


async def changelogs_ready(app: faust.App, tables: Iterable[Any],
                           partitions: int | None = None, timeout: float = 30.0) -> None:
    """Wait until the broker reports the tables' changelog partitions.

    A changelog topic faust has just created briefly shows 0 partitions (or is not in the
    metadata yet); faust then refuses every table write (PartitionsMismatch) and the agent
    crashes. `run` creates them before faust starts; this is the second guard, called once
    before the first write.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    names = [t.changelog_topic_name for t in tables]
    partitions = partitions or worker_partitions()
    while loop.time() < deadline:
        client = getattr(getattr(app.consumer, "_consumer", None), "_client", None)
        counts = {name: app.consumer.topic_partitions(name) for name in names}
        if all(n == partitions or (n is None and _in_cluster(client, name) == partitions)
               for name, n in counts.items()):
            return
        if client is not None:  # ask for fresh metadata instead of waiting for its max age
            client.force_metadata_update()
        await asyncio.sleep(0.2)


def _in_cluster(client: Any, topic: str) -> int | None:
    """The topic's partition count in the client's cluster metadata. A worker that is not
    the group's leader may never have a changelog in its coordinator's snapshot (seen with
    two encounter workers: the second waited the whole 30 s before its first batch, and its
    hospitals got 202 instead of their answers); faust's own partition check is skipped
    for a topic the snapshot lacks, so the cluster's count is the one that matters."""
    cluster = getattr(client, "cluster", None)
    found = cluster.partitions_for_topic(topic) if cluster is not None else None
    return len(found) if found else None


async def ensure_changelogs(app: faust.App, settings: Settings,
                            timeout: float = 30.0) -> list[str]:
    """Create the tables' compacted changelog topics before faust starts, and wait until the
    broker serves them, so no agent ever sees a changelog without partitions."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    wanted = {t.changelog_topic_name: t.partitions or worker_partitions()
              for t in app.tables.values()}
    if not wanted:
        return []
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, **kafka_security(settings))
    await admin.start()
    try:
        for name, parts in wanted.items():
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(
                    name, parts, settings.replication, topic_configs={
                        "cleanup.policy": "compact",
                        "min.insync.replicas": str(min_insync(settings.replication))})])
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if await _every_broker_knows(admin, wanted):
                break
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    return list(wanted)


async def _every_broker_knows(admin: Any, wanted: dict[str, int]) -> bool:
    """Does every broker's metadata list each topic with its partitions?

    On a cluster a new topic reaches the brokers' metadata one after the other: asking one
    broker is not enough. faust's consumer, told by another broker that a changelog does not
    exist, leaves it out for good ("Ignoring missing topic") and its table's first write
    crashes the agent (PartitionsMismatch: 0 partitions) — seen on the three-broker cluster.
    """
    from aiokafka.protocol.metadata import MetadataRequest

    nodes = [b.nodeId for b in admin._client.cluster.brokers()] or [None]
    for node in nodes:
        request = MetadataRequest(list(wanted))
        response = await (admin._send_request_to_node(node, request) if node is not None
                          else admin._send_request(request))
        topics = {t["topic"]: t for t in response.to_object()["topics"]}
        for name, parts in wanted.items():
            t = topics.get(name)
            if t is None or t["error_code"] != 0 or len(t["partitions"]) != parts:
                return False
    return True


def run(app: faust.App, settings: Settings) -> None:
    """The worker entry point: log in (exit at once if refused), check that the worker-keyed
    topics are co-partitioned as configured (exit at once if not), changelog topics, then
    faust's own CLI (`app.main()`)."""
    login.check(settings, app.conf.id)
    partitions.check(settings, app.conf.id, [t.changelog_topic_name for t in app.tables.values()])
    asyncio.run(ensure_changelogs(app, settings))
    app.main()
