"""CPU seconds each process of the stack spent during a phase (from /proc), so a throughput
figure comes with where the machine's cores went: which service, the broker, PostgreSQL,
the benchmark driver itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()  # fields from "state" on (comm may hold spaces)


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU of `pid` (+ its reaped children's, e.g. PostgreSQL's ended backends)."""
    f = _stat(pid)
    if f is None:
        return 0.0
    ticks = int(f[11]) + int(f[12])  # utime, stime
    if children:
        ticks += int(f[13]) + int(f[14])  # cutime, cstime
    return ticks / TICKS


def children_of(parent: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            f = _stat(int(entry.name))
            if f is not None and int(f[1]) == parent:
                out.append(int(entry.name))
    return out


def postgres_seconds(postmaster: int) -> float:
    """The postmaster, its live backends and the ones that ended (cutime/cstime)."""
    return cpu_seconds(postmaster, children=True) + sum(
        cpu_seconds(p) for p in children_of(postmaster))


def postmaster_pid() -> int | None:
    from infra.postgres import paths

    try:
        return int((paths().data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class CpuMeter:
    """Snapshot at `start()`, CPU seconds per process name since then at `used()`."""

    pids: dict[str, int]
    postmaster: int | None = None
    _start: dict[str, float] = field(default_factory=dict)

    def _now(self) -> dict[str, float]:
        now = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        now["driver"] = sum(os.times()[:2])
        if self.postmaster is not None:
            now["postgresql"] = postgres_seconds(self.postmaster)
        return now

    def start(self) -> None:
        self._start = self._now()

    def used(self) -> dict[str, float]:
        now = self._now()
        return {k: now[k] - self._start.get(k, 0.0) for k in now}


def meter(services: Iterable[tuple[str, int]], broker: int | None) -> CpuMeter:
    pids = dict(services)
    if broker is not None:
        pids["kafka"] = broker
    return CpuMeter(pids, postmaster_pid())


def describe(used: dict[str, float], messages: int) -> str:
    """'encounter 1.23 ms, settlement … per hospital message (total …)'."""
    per = {k: v * 1e3 / messages for k, v in used.items()} if messages else {}
    parts = [f"{k} {v:.2f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1])]
    return (f"CPU ms per hospital message: {', '.join(parts)}; "
            f"total {sum(per.values()):.2f}")
