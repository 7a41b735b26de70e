"""A private Kafka + PostgreSQL for one chaos run, so its restarts never touch the shared stack.

`wic up` runs one broker and one PostgreSQL cluster per checkout under `.local/`, shared by
everyone working in it. A chaos run must restart both mid-stream (issue 14, "What to build"
1 and 3), so it starts its own pair with the same code paths (`infra.kafka`'s jars, JVM
options and properties; `infra.postgres`'s binaries and `runuser`), under
`.local/chaos-<tag>/`, on three free loopback ports in 22000-29999 (below the kernel's
ephemeral range: issue 14 finding 8), and deletes it at the end.
"""

from __future__ import annotations

import asyncio
import base64
import random
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from contracts.acl import BROKER
from infra import cluster, kafka, postgres, proc, secrets
from infra.errors import StackError
from infra.layout import LOCAL, Ports, check_outside_ephemeral

PORT_RANGE = (22000, 29999)
ROLE = "wic"
# A smaller heap than the shared broker's 1 GiB: a chaos run's topics are few and short.
JVM_OPTIONS = (*(o for o in kafka.JVM_OPTIONS if not o.startswith(("-Xmx", "-Xms"))),
               "-Xmx512M", "-Xms512M")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return not proc.port_open(port)


def free_block(rng: random.Random, size: int = 3) -> int:
    """The first of `size` consecutive free loopback ports in PORT_RANGE."""
    for _ in range(200):
        base = rng.randrange(PORT_RANGE[0], PORT_RANGE[1] - size)
        if all(_bindable(base + i) for i in range(size)):
            return base
    raise StackError(f"no {size} consecutive free ports in {PORT_RANGE[0]}-{PORT_RANGE[1]}")


@dataclass
class PrivateStack:
    home: Path
    ports: Ports
    kafka_pid: int | None = None
    # With 3 brokers: a KRaft cluster (`infra.cluster`) on ports.kafka and the next two,
    # controllers 100 above; PostgreSQL on the port after the third broker's.
    nodes: cluster.Cluster | None = None

    @classmethod
    def plan(cls, tag: str, rng: random.Random, brokers: int = 1) -> PrivateStack:
        home = LOCAL / f"chaos-{tag}"
        if brokers == 1:
            base = free_block(rng, 4)
            p = Ports(kafka=base, controller=base + 1, postgres=base + 2)
            check_outside_ephemeral(p)
            return cls(home, p)
        for _ in range(50):
            base = free_block(rng, brokers + 1)
            if all(_bindable(base + cluster.CONTROLLER_OFFSET + i) for i in range(brokers)):
                break
        else:
            raise StackError("no free ports for a private cluster's controllers")
        p = Ports(kafka=base, controller=base + cluster.CONTROLLER_OFFSET, postgres=base + brokers)
        check_outside_ephemeral(p)
        return cls(home, p, nodes=cluster.Cluster(home / "kafka-cluster", base, brokers))

    # --- addresses -----------------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        return self.nodes.bootstrap if self.nodes else f"127.0.0.1:{self.ports.kafka}"

    @property
    def database_url(self) -> str:
        return f"postgresql://{ROLE}:{ROLE}@127.0.0.1:{self.ports.postgres}/wic"

    @property
    def kafka_home(self) -> Path:
        return self.home / "kafka"

    @property
    def pg(self) -> postgres.Paths:
        h = self.home / "pg"
        return postgres.Paths(home=h, data=h / "data", run=h / "run", log=h / "postgres.log")

    # --- Kafka ---------------------------------------------------------------------------
    def _properties(self) -> Path:
        data = self.kafka_home / "data"
        # The checkout's own credentials (`.local/secrets/kafka`): every client of the run
        # presents the same principal on this broker as on the shared one.
        secrets.ensure()
        text = kafka.server_properties(self.ports, secrets.password(BROKER)).replace(
            f"log.dirs={kafka.DATA}", f"log.dirs={data}")
        config = self.kafka_home / "server.properties"
        kafka.write_config(config, text)
        if not (data / "meta.properties").exists():
            cid = ""
            while not cid or cid.startswith("-"):
                cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            kafka.format_log(config, cid)
        return config

    def start_kafka(self, timeout: float = 90.0) -> float:
        """Start the private broker (every node of the cluster); seconds until it answers a
        metadata request (until all nodes are brokers)."""
        if self.nodes is not None:
            began = time.monotonic()
            self.nodes.start(timeout=max(timeout, cluster.READY_TIMEOUT))
            return time.monotonic() - began
        kafka.ensure_jars()
        config = self._properties()
        java = proc.require_tool("java", kafka.JAVA_HINT)
        log = self.kafka_home / "kafka.log"
        began = time.monotonic()
        with log.open("ab") as out:
            child = subprocess.Popen(
                [java, *JVM_OPTIONS, f"-Dlog4j.configuration=file:{kafka.LOG4J}", "-cp",
                 str(kafka.LIBS / "*"), kafka.MAIN_CLASS, str(config)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                cwd=self.kafka_home)
        self.kafka_pid = child.pid
        asyncio.run(kafka.wait_ready(self.bootstrap, child.pid, timeout))
        return time.monotonic() - began

    def stop_kafka(self) -> None:
        if self.nodes is not None:
            self.nodes.stop()
            return
        if self.kafka_pid is not None:
            proc.terminate(self.kafka_pid, kafka.STOP_GRACE)
            self.kafka_pid = None

    # --- PostgreSQL ----------------------------------------------------------------------
    def start_postgres(self) -> float:
        """initdb once, start on the private port; seconds until it accepts connections."""
        p = self.pg
        postgres.ensure_installed()
        created = postgres._initdb(p)
        began = time.monotonic()
        p.run.mkdir(parents=True, exist_ok=True)
        if postgres._as_root():
            shutil.chown(p.run, postgres.OS_USER, postgres.OS_USER)
        opts = (f"-p {self.ports.postgres} -k {p.run} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200")
        done = postgres._run(postgres._bin("pg_ctl"), "-D", str(p.data), "-o", opts, "-l",
                             str(p.log), "start", "-w", "-t", "60", timeout=75)
        if done.returncode != 0:
            raise StackError(f"the chaos PostgreSQL did not start:\n{proc.tail(p.log)}")
        took = time.monotonic() - began
        if created:
            from infra.layout import database

            asyncio.run(postgres.ensure_database(database(self.database_url)))
        return took

    def stop_postgres(self) -> None:
        p = self.pg
        if (p.data / "PG_VERSION").exists():
            postgres._run(postgres._bin("pg_ctl"), "-D", str(p.data), "stop", "-m", "fast",
                          "-w", "-t", "30", timeout=45)

    # --- the whole ---------------------------------------------------------------------
    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if postgres._as_root():
            shutil.chown(self.home, postgres.OS_USER, postgres.OS_USER)
        try:
            self.start_kafka()
            self.start_postgres()
        except BaseException:
            self.close(keep=True)  # stopped, files kept for the post-mortem
            raise

    def close(self, keep: bool = False) -> None:
        """Stop both; delete their data unless `keep` (logs of a failed run stay)."""
        try:
            self.stop_kafka()
        finally:
            self.stop_postgres()
        if not keep:
            shutil.rmtree(self.home, ignore_errors=True)
