"""A benchmark's own corner of the local stack: topic prefix, database, service processes.

Everything is created for one run and deleted at its end (topics with the run's prefix,
including faust's changelog topics; the database; the faust data directory), so a
benchmark never touches what tests or other engineers use on the same broker.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from contracts.settings import Settings, load

ROOT = Path(__file__).resolve().parents[1]
LOG_ROOT = ROOT / ".local" / "bench"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (peak RSS) of a process, in bytes (Linux /proc)."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


@dataclass
class Service:
    """One service process (`python -m services.<name> worker`) on the run's prefix."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    profile_dir: Path | None = None  # run under pyinstrument; report written at exit
    fixes: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.started_at = time.monotonic()
        target = ["-m", f"services.{self.name}"]
        if self.fixes:  # prototype fixes applied in the process (bench/patches.py)
            target = ["-m", "bench.patches", ",".join(self.fixes), f"services.{self.name}"]
        cmd = [sys.executable, *target, "worker", "-l", "warn"]
        if self.profile_dir is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            report = self.profile_dir / f"{self.name}-{time.strftime('%Y%m%d-%H%M%S')}.txt"
            cmd[1:1] = ["-m", "pyinstrument", "-r", "text", "-o", str(report)]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT, env={**self.env, "WIC_WEB_PORT": str(self.port)}, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def wait_ready(self, timeout: float = 600.0) -> float:
        """Seconds from process start to the first `/health` 200 (tables recovered)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            if self.healthy():
                return time.monotonic() - self.started_at
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not serving after {timeout:.0f} s; see {self.log_path}")

    def memory(self) -> dict[str, int]:
        return proc_status(self.proc.pid) if self.proc is not None else {}

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@dataclass
class BenchEnv:
    """Prefix + database + data dir of one run; `close()` deletes all of them."""

    prefix: str
    database_url: str
    settings: Settings
    data_dir: Path
    services: dict[str, Service] = field(default_factory=dict)
    profile: bool = False  # services run under pyinstrument (reports in <data_dir>/profiles)
    fixes: tuple[str, ...] = ()  # bench/patches.py fixes applied to every service

    @classmethod
    async def create(cls) -> BenchEnv:
        from infra.migrate import migrate
        from infra.topics import ensure_topics

        base = load()
        tag = f"{int(time.time())}{uuid.uuid4().hex[:4]}"
        prefix = f"bench-{tag}."
        db = f"bench_{tag}"
        conn = await asyncpg.connect(base.database_url)
        try:
            await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()
        url = base.database_url.rsplit("/", 1)[0] + f"/{db}"
        await migrate(url)
        await ensure_topics(base.bootstrap, prefix)
        settings = Settings(bootstrap=base.bootstrap, database_url=url, topic_prefix=prefix)
        return cls(prefix, url, settings, LOG_ROOT / prefix.rstrip("."))

    def service(self, name: str) -> Service:
        if name not in self.services:
            env = {**os.environ, "WIC_TOPIC_PREFIX": self.prefix,
                   "WIC_DATABASE_URL": self.database_url,
                   "WIC_KAFKA_BOOTSTRAP": self.settings.bootstrap,
                   "WIC_DATA_DIR": str(self.data_dir / "faust")}
            self.services[name] = Service(name, env, self.data_dir / f"{name}.log",
                                          profile_dir=self.data_dir / "profiles"
                                          if self.profile else None, fixes=self.fixes)
        return self.services[name]

    async def close(self, keep_logs: bool = True) -> None:
        from infra.topics import delete_topics

        for svc in self.services.values():
            svc.stop()
        await delete_topics(self.settings.bootstrap, self.prefix)
        base = load()
        conn = await asyncpg.connect(base.database_url)
        try:
            db = self.database_url.rsplit("/", 1)[1]
            await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        finally:
            await conn.close()
        shutil.rmtree(self.data_dir / "faust", ignore_errors=True)
        if not keep_logs:
            shutil.rmtree(self.data_dir, ignore_errors=True)
