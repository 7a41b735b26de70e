"""The stack's subcommands for the `wic` CLI: up, down, status, topics."""

from __future__ import annotations

import argparse

from contracts import topics as registry
from infra import compose, stack
from infra.layout import rel


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "up", help="start Kafka and PostgreSQL, migrate, create topics (idempotent)",
        description="Start the local stack (a KRaft Kafka broker from Maven jars and a private "
        "PostgreSQL cluster, both under .local/), apply SQL migrations and create every topic "
        "of contracts.topics. Running it again on a running stack only re-checks.",
    )
    p.add_argument("--brokers", type=int, choices=(1, 3), default=1,
                   help="1: one KRaft broker (the default); 3: a three-node KRaft cluster "
                   "(combined broker+controller nodes on the bootstrap port and the next two, "
                   "controllers 100 above; topics replicated 3 times, min.insync.replicas=2; "
                   "docs/operations.md, \"A Kafka cluster\")")
    p.add_argument("--external", action="store_true",
                   help="do not start anything: wait for the Kafka and PostgreSQL named by "
                   "WIC_KAFKA_BOOTSTRAP / WIC_DATABASE_URL (docker compose), then migrate "
                   "and create topics")
    p.set_defaults(func=_up)

    p = subparsers.add_parser("down", help="stop Kafka and PostgreSQL",
                              description="Stop the local stack (the single broker or every "
                              "node of the cluster); data is kept unless --wipe.")
    p.add_argument("--wipe", action="store_true",
                   help="also delete the Kafka log, the PostgreSQL cluster and the generated "
                   "gateway keys (fresh start)")
    p.set_defaults(func=_down)

    p = subparsers.add_parser("status", help="health of Kafka, PostgreSQL and topics",
                              description="Exit status 0 only if Kafka and PostgreSQL answer.")
    p.set_defaults(func=_status)

    p = subparsers.add_parser(
        "secrets", help="generate the Kafka credentials docker-compose mounts",
        description="Write one random password per principal into .local/secrets/kafka/ "
        "(kept if present; `wic up` does the same) and the compose broker's properties "
        "and SCRAM arguments into .local/secrets/kafka-broker/. Run before `docker compose "
        "up`; nothing of it is committed (docs/security.md).")
    p.set_defaults(func=_secrets)

    p = subparsers.add_parser("topics", help="list the topic registry (contracts.topics)",
                              description="Name, key, partitions, retention and writer of "
                              "every topic; no broker needed.")
    p.set_defaults(func=_topics)


def _up(args: argparse.Namespace) -> int:
    stack.up(external=args.external, brokers=args.brokers)
    return 0


def _down(args: argparse.Namespace) -> int:
    stack.down(wipe=args.wipe)
    return 0


def _secrets(args: argparse.Namespace) -> int:
    for path in compose.write():
        print(f"wrote {rel(path)}")
    return 0


def _status(args: argparse.Namespace) -> int:
    return stack.status()


def retention(topic: registry.Topic) -> str:
    if topic.compacted:
        return "compacted"
    if topic.retention_ms == registry.FOREVER:
        return "forever"
    days = int(topic.retention_ms) / 86_400_000
    return f"{days:g}d" if days >= 1 else f"{topic.retention_ms}ms"


def _topics(args: argparse.Namespace) -> int:
    rows = [("TOPIC", "KEY", "PARTS", "RETENTION", "WRITER")]
    rows += [(t.base, t.key, str(t.partitions), retention(t), str(t.writer))
             for t in registry.ALL]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0
