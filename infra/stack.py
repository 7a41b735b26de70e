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
from contracts.settings import KafkaAuth, secrets_dir
from infra import gateway_keys, identity, kafka, postgres, secrets
from infra.errors import StackError
from infra.layout import check_outside_ephemeral, database, rel
from infra.migrate import applied_count, migrate
from infra.topics import ensure_topics, existing

Say = Callable[[str], None]
EXTERNAL_TIMEOUT = 120.0


def up(say: Say = print, external: bool = False) -> None:
    """Start (or find) Kafka and PostgreSQL, then migrate and create topics."""
    if external:
        _wait_external(say)
    else:
        check_outside_ephemeral()  # before anything is started or downloaded
        kafka.check_ports_free()
        postgres.check_port_free()
        say(kafka.ensure_jars())
        written = secrets.ensure()
        say(f"kafka credentials: {', '.join(written)} generated in {rel(secrets_dir())}"
            if written else f"kafka credentials: present in {rel(secrets_dir())}")
        say(kafka.start())
        say(postgres.ensure_installed())
        say(postgres.start())
        say(asyncio.run(postgres.ensure_database(database(_url()))))
        say(gateway_keys.ensure())  # dev keys for the clearing service (docs/security.md)
    asyncio.run(_provision(say, _bootstrap(), _url()))
    say(identity.ensure_issuer())


async def _provision(say: Say, servers: str, url: str) -> None:
    applied = await migrate(url)
    total = await applied_count(url)
    if applied:
        say(f"migrations: applied {len(applied)} ({', '.join(applied)}); {total} in total")
    else:
        say(f"migrations: up to date ({total} applied)")
    prefix = wic_settings.load().topic_prefix
    created = await ensure_topics(servers, prefix, auth=_admin())
    say(f"topics: {len(created)} created, {len(registry.ALL) - len(created)} already existed"
        + (f" (prefix {prefix!r})" if prefix else ""))


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
    """Stop both servers (Kafka first: it holds no DB connections); `wipe` deletes data."""
    say(kafka.stop(wipe=wipe))
    say(postgres.stop(wipe=wipe))
    if wipe:
        say(gateway_keys.wipe())


def status(say: Say = print) -> int:
    """Print the health of each part; 0 only when Kafka and PostgreSQL both answer."""
    k = kafka.status()
    url = _url()
    k_ok = k.running and asyncio.run(kafka.answers(_bootstrap(), auth=_admin()))
    if k.running:
        say(f"Kafka: {'running' if k_ok else 'NOT ANSWERING'} (pid {k.pid}, port {k.port})")
    else:
        say(f"Kafka: stopped (port {k.port})")
    pg_ok = postgres.running() and asyncio.run(postgres.answers(url))
    db = database(url)
    say(f"PostgreSQL: {'running' if pg_ok else 'stopped'} (port {db.port}, database {db.name})")
    if k_ok:
        prefix = wic_settings.load().topic_prefix
        present = asyncio.run(existing(_bootstrap(), prefix, auth=_admin()))
        say(f"Topics: {len(present)} of {len(registry.ALL)} registry topics present")
    return 0 if k_ok and pg_ok else 1


def _admin() -> KafkaAuth:
    return secrets.admin_auth()


def _url() -> str:
    return wic_settings.load().database_url


def _bootstrap() -> str:
    return wic_settings.load().bootstrap
