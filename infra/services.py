"""Run the five services as local processes (`python -m services.<name> worker`), and the
staff console (`python -m console`) when asked.

Used by `wic demo`, the end-to-end tests and the benchmarks. Each process gets its topic
prefix, database, web port and its own Kafka principal (the service's name, whose password
is in `.local/secrets/kafka/<service>.json`: docs/security.md) from the environment
(clearing also the paths of the generated gateway dev keys, `infra.gateway_keys`), logs to
a file, and counts as started only when its `/health` says it serves (partitions assigned,
tables recovered). The
benchmarks also read how long that took (`wait_ready`), the process's memory (`memory`) and
may run it under pyinstrument (`profile_dir`).

Several workers of a service (issue 17): `ServiceProcess.worker` numbers them from 0; each
has its own web port, log file and faust data directory (worker 0 keeps the names of the
one-worker layout), and all of one service join one consumer group. `start_all(workers=N)`
starts N of each service, keyed `name` for worker 0 and `name#i` for the others. Clearing's
workers beyond the first stand by for the ledger lease (`services/clearing/adapters/
lease.py`): they count as started once their `/health` says `standby`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from infra import gateway_keys
from infra.errors import StackError
from infra.layout import ROOT

SERVICES = ("registration", "encounter", "settlement", "clearing", "benefits")
CALLER_IDENTITY = ("WIC_KAFKA_PRINCIPAL", "WIC_KAFKA_CREDENTIALS", "WIC_KAFKA_USERNAME",
                   "WIC_KAFKA_PASSWORD")
DEFAULT_PORTS = {"registration": 18081, "encounter": 18082, "settlement": 18083,
                 "clearing": 18084, "benefits": 18085}
CONSOLE = "console"  # the staff console (`python -m console`): a client of the five, no service
CONSOLE_PORT = 18090


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServiceProcess:
    service: str
    prefix: str
    database_url: str
    bootstrap: str
    log_dir: Path
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0  # time.monotonic() at launch
    profile_dir: Path | None = None  # run under pyinstrument; text report written at exit
    worker: int = 0  # which worker of the service (issue 17): own port, log and data dir

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def suffix(self) -> str:
        return "" if self.worker == 0 else f"-w{self.worker}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.prefix}{self.service}{self.suffix}.log"

    @property
    def data_dir(self) -> Path:
        """faust's RocksDB stores: one directory per worker (a store is locked by one)."""
        return self.log_dir / f"faust{self.suffix}"

    def env(self) -> dict[str, str]:
        # Only its own credentials: none of the caller's (a test runs as `admin`).
        inherited = {k: v for k, v in os.environ.items() if k not in CALLER_IDENTITY}
        return {
            **inherited,
            # the console's operator page runs the `wic` CLI's dead-letter and lag functions
            "WIC_KAFKA_PRINCIPAL": "operator" if self.service == CONSOLE else self.service,
            "WIC_CONSOLE_PORT": str(self.port),
            "WIC_TOPIC_PREFIX": self.prefix,
            "WIC_DATABASE_URL": self.database_url,
            "WIC_KAFKA_BOOTSTRAP": self.bootstrap,
            "WIC_WEB_PORT": str(self.port),
            "WIC_DATA_DIR": str(self.data_dir),
            # the dev keys the demo and tests sign with; other services get no key at all
            **(gateway_keys.dev_keys().service_env() if self.service == "clearing" else {}),
            **self.extra_env,
        }

    def launch(self) -> ServiceProcess:
        """Start the process without waiting (see `wait_ready`)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        level = os.environ.get("WIC_SERVICE_LOG_LEVEL", "warn")  # info/debug when chasing a bug
        cmd = ([sys.executable, "-m", CONSOLE] if self.service == CONSOLE else
               [sys.executable, "-m", f"services.{self.service}", "worker", "-l", level])
        if self.profile_dir is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            report = self.profile_dir / f"{self.service}-{time.strftime('%Y%m%d-%H%M%S')}.txt"
            cmd[1:1] = ["-m", "pyinstrument", "-r", "text", "-o", str(report)]
        with self.log_path.open("ab") as log:
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def start(self, timeout: float = 90.0) -> ServiceProcess:
        self.launch()
        self.wait_ready(timeout)
        return self

    def health(self) -> str | None:
        """`/health`'s status: "ok"/"degraded" (serving), "standby", "unavailable"; None if
        nothing answers."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as resp:
                return str(json.loads(resp.read() or b"{}").get("status", "ok"))
        except urllib.error.HTTPError as exc:
            try:
                return str(json.loads(exc.read() or b"{}").get("status", "unavailable"))
            except ValueError:
                return "unavailable"
        except (OSError, ValueError):
            return None

    def healthy(self) -> bool:
        return self.health() in ("ok", "degraded")

    def wait_ready(self, timeout: float = 90.0, standby: bool = False) -> float:
        """Seconds from launch to the first `/health` 200 (tables recovered) — or, with
        `standby`, to a standby's first answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise StackError(f"{self.service} exited; its log ends:\n{self.tail()}")
            status = self.health()
            if status in ("ok", "degraded") or (standby and status == "standby"):
                return time.monotonic() - self.started_at
            time.sleep(0.1)
        raise StackError(f"{self.service} did not serve within {timeout:.0f} s:\n{self.tail()}")

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) in bytes, from /proc/<pid>/status ({} if not running)."""
        out: dict[str, int] = {}
        if self.proc is None:
            return out
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
        except OSError:
            pass
        return out

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, kill: bool = False, grace: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def worker_key(service: str, worker: int) -> str:
    """How `start_all` names a worker: the service for worker 0, `service#i` after."""
    return service if worker == 0 else f"{service}#{worker}"


def standing_by(p: ServiceProcess) -> bool:
    """Clearing's second and later workers wait for the ledger lease."""
    return p.service == "clearing" and p.worker > 0


def start_all(prefix: str, database_url: str, bootstrap: str, log_dir: Path,
              names: tuple[str, ...] = SERVICES, timeout: float = 120.0,
              ports: dict[str, int] | None = None, console: bool = False,
              workers: int | dict[str, int] = 1) -> dict[str, ServiceProcess]:
    """Launch every service at once (they start in parallel), then wait for each; with
    `console`, then the staff console too, pointed at them (port `ports["console"]`).
    `workers`: how many of each service (or per service name, 1 for those not named)."""
    counts = {n: workers if isinstance(workers, int) else workers.get(n, 1) for n in names}
    procs = {worker_key(name, i): ServiceProcess(name, prefix, database_url, bootstrap,
                                                 log_dir, worker=i)
             for name in names for i in range(counts[name])}
    for name, port in (ports or {}).items():
        if name in procs:  # the console's port is used below, when it is asked for
            procs[name].port = port
    try:
        # clearing's standbys only once its worker 0 holds the ledger lease: worker 0 is the
        # active one, as callers expect of `procs["clearing"]`
        for group in ([p for p in procs.values() if not standing_by(p)],
                      [p for p in procs.values() if standing_by(p)]):
            for p in group:
                p.launch()
            for p in group:
                p.wait_ready(timeout, standby=standing_by(p))
        if console:
            urls = {f"WIC_CONSOLE_{name.upper()}_URL": procs[name].url for name in names}
            procs[CONSOLE] = ServiceProcess(CONSOLE, prefix, database_url, bootstrap, log_dir,
                                            port=(ports or {}).get(CONSOLE, free_port()),
                                            extra_env=urls).start(timeout)
    except BaseException:
        stop_all(procs)
        raise
    return procs


def stop_all(procs: dict[str, ServiceProcess]) -> None:
    for p in procs.values():
        p.stop()
