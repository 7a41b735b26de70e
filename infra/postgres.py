"""Our own PostgreSQL cluster (not the distro's default one), on a loopback port.

We run as root in CI and initdb refuses root, so every server command runs as the
`postgres` OS user via `runuser` (as yourself when not root). The data dir lives in
`.local/pg` unless the `postgres` user cannot reach the checkout (e.g. it sits under a 0700
home), in which case it falls back to `/var/tmp/wic-pg-<hash of repo path>`.
Durability settings are off on purpose: this cluster is for development and tests.
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from infra import proc
from infra.errors import StackError
from infra.layout import LOCAL, ROOT, Database, check_outside_ephemeral, database, ports, rel

OS_USER = "postgres"
START_TIMEOUT = 60


@dataclass(frozen=True)
class Paths:
    home: Path
    data: Path
    run: Path
    log: Path


def _as_root() -> bool:
    return os.geteuid() == 0


def _fallback_home() -> Path:
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"wic-pg-{digest}"


def _reachable_by_postgres(path: Path) -> bool:
    if not _as_root():
        return True
    done = subprocess.run(["runuser", "-u", OS_USER, "--", "test", "-x", str(path)],
                          capture_output=True, check=False, stdin=subprocess.DEVNULL)
    return done.returncode == 0


def paths() -> Paths:
    """Prefer `.local/pg`; fall back to /var/tmp when postgres can't traverse the repo."""
    local, fallback = LOCAL / "pg", _fallback_home()
    if (local / "data" / "PG_VERSION").exists():
        home = local
    elif (fallback / "data" / "PG_VERSION").exists():
        home = fallback
    else:
        LOCAL.mkdir(parents=True, exist_ok=True)
        home = local if _reachable_by_postgres(LOCAL) else fallback
    return Paths(home=home, data=home / "data", run=home / "run", log=home / "postgres.log")


def bindir() -> Path | None:
    """Newest installed server's bin dir, e.g. /usr/lib/postgresql/15/bin."""
    found = glob.glob("/usr/lib/postgresql/*/bin/postgres")
    if not found:
        return None
    return Path(max(found, key=lambda p: int(Path(p).parts[-3]))).parent


def ensure_installed() -> str:
    """apt-get install postgresql when no server binary is present."""
    found = bindir()
    if found is not None:
        return f"postgresql: server binaries in {found}"
    if not _as_root() or shutil.which("apt-get") is None:
        raise StackError("PostgreSQL is not installed: run `sudo apt-get install -y postgresql`.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL, timeout=900)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            raise StackError(f"`{' '.join(cmd)}` failed while installing PostgreSQL:\n{tail}")
    found = bindir()
    if found is None:
        raise StackError("apt-get installed postgresql but no /usr/lib/postgresql/*/bin/postgres.")
    return f"postgresql: installed with apt-get ({found})"


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    prefix = ["runuser", "-u", OS_USER, "--"] if _as_root() else []
    try:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL, timeout=timeout, cwd="/")
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"`{Path(args[0]).name}` did not finish within {timeout:.0f} s.") from exc


def _bin(name: str) -> str:
    found = bindir()
    if found is None:
        raise StackError("PostgreSQL is not installed: run `wic up` as root or apt-get install it.")
    return str(found / name)


def running(p: Paths | None = None) -> bool:
    p = p or paths()
    if not (p.data / "PG_VERSION").exists() or bindir() is None:
        return False
    return _run(_bin("pg_ctl"), "status", "-D", str(p.data)).returncode == 0


def _initdb(p: Paths) -> bool:
    if (p.data / "PG_VERSION").exists():
        return False
    if p.data.exists() and any(p.data.iterdir()):
        raise StackError(
            f"The PostgreSQL data dir {rel(p.data)} is not empty but holds no cluster: "
            "run `wic down --wipe` and then `wic up`."
        )
    for d in (p.home, p.data, p.run):
        d.mkdir(parents=True, exist_ok=True)
    if _as_root():
        shutil.chown(p.home, OS_USER, OS_USER)
        for d in (p.data, p.run):
            shutil.chown(d, OS_USER, OS_USER)
    p.data.chmod(0o700)
    done = _run(_bin("initdb"), "-D", str(p.data), "-A", "trust", "-U", "postgres",
                "--encoding=UTF8", "--locale=C.UTF-8")
    if done.returncode != 0:
        raise StackError(f"initdb failed for {rel(p.data)}:\n{done.stdout}{done.stderr}".rstrip())
    return True


def check_port_free(p: Paths | None = None) -> None:
    """Refuse early when someone else's server holds our port (checked before any start)."""
    p = p or paths()
    port = ports().postgres
    if not running(p) and proc.port_open(port):
        raise StackError(
            f"Port {port} is already in use by a process that is not this checkout's "
            f"PostgreSQL ({rel(p.data)} is not running): stop that process or free the port."
        )


def start() -> str:
    """Init the cluster once and start it on the settings port (or find it running)."""
    p = paths()
    port = ports().postgres
    if running(p):
        line = f"postgresql: already running (127.0.0.1:{port}, data {rel(p.data)})"
    else:
        check_outside_ephemeral()
        check_port_free(p)
        created = _initdb(p)
        p.run.mkdir(parents=True, exist_ok=True)
        if _as_root():
            shutil.chown(p.run, OS_USER, OS_USER)
        opts = (f"-p {port} -k {p.run} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        done = _run(_bin("pg_ctl"), "-D", str(p.data), "-o", opts, "-l", str(p.log),
                    "start", "-w", "-t", str(START_TIMEOUT), timeout=START_TIMEOUT + 15)
        if done.returncode != 0:
            raise StackError(
                f"PostgreSQL did not start on port {port}; last lines of {rel(p.log)}:\n"
                f"{proc.tail(p.log)}"
            )
        how = "initialised and started" if created else "started"
        line = f"postgresql: {how} (127.0.0.1:{port}, data {rel(p.data)})"
    return line


def stop(wipe: bool = False) -> str:
    p = paths()
    if running(p):
        done = _run(_bin("pg_ctl"), "-D", str(p.data), "stop", "-m", "fast", "-w", "-t", "30",
                    timeout=45)
        if done.returncode != 0:
            raise StackError(f"pg_ctl stop failed:\n{done.stdout}{done.stderr}".rstrip())
        line = "postgresql: stopped"
    else:
        line = "postgresql: not running"
    if wipe and p.home.exists():
        shutil.rmtree(p.home)
        line += f"; wiped {rel(p.home)}"
    return line


async def ensure_database(db: Database | None = None) -> str:
    """Create the application role and database if missing (as the trusted superuser)."""
    import asyncpg

    db = db or database()
    admin = await asyncpg.connect(host=db.host, port=db.port, user="postgres",
                                  database="postgres", timeout=10)
    try:
        made = []
        if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", db.role):
            password = db.password.replace("'", "''")
            await admin.execute(
                f"CREATE ROLE \"{db.role}\" LOGIN CREATEDB PASSWORD '{password}'"
            )
            made.append(f"role {db.role}")
        # `DROP DATABASE … WITH (FORCE)` (tests' and benchmarks' own databases) must be able
        # to end an autovacuum worker there, which only pg_signal_backend may (idempotent).
        await admin.execute(f'GRANT pg_signal_backend TO "{db.role}"')
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db.name):
            await admin.execute(f'CREATE DATABASE "{db.name}" OWNER "{db.role}"')
            made.append(f"database {db.name}")
    finally:
        await admin.close()
    if made:
        return f"database: created {' and '.join(made)}"
    return f"database: role {db.role} and database {db.name} exist"


async def answers(url: str, timeout: float = 5.0) -> bool:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(url, timeout=timeout), timeout)
    except Exception:
        return False
    await conn.close()
    return True
