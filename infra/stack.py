"""`wic up / down / status`: the whole local stack in a few idempotent steps.

Every step prints one line. Anything the user must fix raises `StackError` with one clear
sentence (the CLI prints it and exits non-zero); every wait is bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from contracts import settings as wic_settings
from contracts import topics as registry
from contracts.runtime.partitions import mismatch
from contracts.settings import KafkaAuth, secrets_dir
from infra import cluster, gateway_keys, identity, kafka, postgres, secrets
from infra.errors import StackError
from infra.layout import check_outside_ephemeral, database, rel
from infra.migrate import applied_count, migrate
from infra.topics import ensure_topics, existing, partition_counts

Say = Callable[[str], None]
EXTERNAL_TIMEOUT = 120.0


def up(say: Say = print, external: bool = False, brokers: int = 1) -> None:
    """Start (or find) Kafka and PostgreSQL, then migrate and create topics. `brokers`: 1
    (the single broker, the default) or 3 (a KRaft cluster, `infra.cluster`; topics with
    replication factor 3 and `min.insync.replicas=2`)."""
    if brokers not in (1, cluster.NODES):
        raise StackError(f"--brokers takes 1 or {cluster.NODES}, not {brokers}.")
    servers, replicas = _bootstrap(), None
    if external:
        _wait_external(say)
    else:
        check_outside_ephemeral()  # before anything is started or downloaded
        _one_kind(brokers)
        if brokers == 1:
            kafka.check_ports_free()
        postgres.check_port_free()
        say(kafka.ensure_jars())
        written = secrets.ensure()
        say(f"kafka credentials: {', '.join(written)} generated in {rel(secrets_dir())}"
            if written else f"kafka credentials: present in {rel(secrets_dir())}")
        if brokers == 1:
            say(kafka.start())
        else:
            nodes = cluster.Cluster.local()
            say(nodes.start())
            servers, replicas = nodes.bootstrap, cluster.REPLICAS
        say(postgres.ensure_installed())
        say(postgres.start())
        say(asyncio.run(postgres.ensure_database(database(_url()))))
        say(gateway_keys.ensure())  # dev keys for the clearing service (docs/security.md)
    asyncio.run(_provision(say, servers, _url(), replicas))
    say(identity.ensure_issuer())
    if replicas and (servers != _bootstrap() or wic_settings.replication() != replicas):
        say(f"services: export WIC_KAFKA_BOOTSTRAP={servers} WIC_KAFKA_REPLICATION={replicas} "
            "(every client then knows all three brokers, and the services create their "
            "tables' changelogs with three replicas)")


def _one_kind(brokers: int) -> None:
    """The single broker and the cluster share ports: refuse to start one beside the other."""
    if brokers == 1 and cluster.Cluster.local().any_running():
        raise StackError("this checkout's 3-broker cluster is running: `wic up --brokers 3` "
                         "to use it, or `wic down` first to go back to the single broker.")
    if brokers != 1 and kafka.our_pid() is not None:
        raise StackError("this checkout's single Kafka broker is running: `wic down` first "
                         "(its data stays), then `wic up --brokers 3`.")


async def _provision(say: Say, servers: str, url: str, replicas: int | None = None) -> None:
    applied = await migrate(url)
    total = await applied_count(url)
    if applied:
        say(f"migrations: applied {len(applied)} ({', '.join(applied)}); {total} in total")
    else:
        say(f"migrations: up to date ({total} applied)")
    prefix = wic_settings.load().topic_prefix
    created = await ensure_topics(servers, prefix, auth=_admin(), replicas=replicas)
    say(f"topics: {len(created)} created, {len(registry.ALL) - len(created)} already existed"
        + (f" (prefix {prefix!r})" if prefix else "")
        + f"; {wic_settings.worker_partitions()} partitions per worker-keyed topic, "
        f"replication {replicas or wic_settings.replication()}")
    # topics made under another WIC_WORKER_PARTITIONS: say so now, not at a service's start
    counts = await partition_counts(servers, [t.name(prefix) for t in registry.ALL
                                              if t.co_partitioned], auth=_admin())
    why = mismatch(counts, wic_settings.worker_partitions())
    if why is not None:
        say(f"WARNING: the services will refuse to start on these topics: {why}")


def _wait_external(say: Say) -> None:
    """`--external`: someone else runs Kafka/PostgreSQL (docker compose); wait for both."""
    servers, url = _bootstrap(), _url()
    deadline = time.monotonic() + EXTERNAL_TIMEOUT

    async def wait() -> None:
        for name, check in (("kafka", lambda: kafka.answers(servers, auth=_admin())),
                            ("postgresql", lambda: postgres.answers(url))):
            while not await check():
                if time.monotonic() > deadline:
                    raise StackError(f"{name} did not answer within {EXTERNAL_TIMEOUT:.0f} s "
                                     f"({servers if name == 'kafka' else database(url).host}).")
                await asyncio.sleep(1)
            say(f"{name}: reachable (external)")

    asyncio.run(wait())


def down(say: Say = print, wipe: bool = False) -> None:
    """Stop both servers (Kafka first: it holds no DB connections); `wipe` deletes data.
    The cluster's nodes too, if this checkout ever started one."""
    say(kafka.stop(wipe=wipe))
    nodes = cluster.Cluster.local()
    if nodes.exists():
        for line in nodes.stop(wipe=wipe):
            say(line)
    say(postgres.stop(wipe=wipe))
    if wipe:
        say(gateway_keys.wipe())


def status(say: Say = print) -> int:
    """Print the health of each part; 0 only when Kafka and PostgreSQL both answer (with a
    cluster: every node runs and all of them are brokers of it)."""
    k = kafka.status()
    url = _url()
    nodes = cluster.Cluster.local()
    servers = _bootstrap()
    if not k.running and nodes.any_running():
        k_ok = _cluster_status(say, nodes)
        servers = nodes.bootstrap
    else:
        k_ok = k.running and asyncio.run(kafka.answers(servers, auth=_admin()))
        if k.running:
            say(f"Kafka: {'running' if k_ok else 'NOT ANSWERING'} (pid {k.pid}, port {k.port})")
        else:
            say(f"Kafka: stopped (port {k.port})")
    pg_ok = postgres.running() and asyncio.run(postgres.answers(url))
    db = database(url)
    say(f"PostgreSQL: {'running' if pg_ok else 'stopped'} (port {db.port}, database {db.name})")
    if k_ok:
        prefix = wic_settings.load().topic_prefix
        present = asyncio.run(existing(servers, prefix, auth=_admin()))
        say(f"Topics: {len(present)} of {len(registry.ALL)} registry topics present")
    return 0 if k_ok and pg_ok else 1


def _cluster_status(say: Say, nodes: cluster.Cluster) -> bool:
    """One line per node and one for the cluster; True if all nodes run and are brokers."""
    rows = nodes.status()
    for n in rows:
        say(f"Kafka node {n.node}: " + (f"running (pid {n.pid}, port {n.port})" if n.running
                                          else f"stopped (port {n.port})"))
    brokers = asyncio.run(nodes.brokers_up())
    say(f"Kafka cluster: {brokers} of {nodes.nodes} brokers registered ({nodes.bootstrap})")
    return brokers == nodes.nodes and all(n.running for n in rows)


def _admin() -> KafkaAuth:
    return secrets.admin_auth()


def _url() -> str:
    return wic_settings.load().database_url


def _bootstrap() -> str:
    return wic_settings.load().bootstrap
