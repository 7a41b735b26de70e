"""Where the local stack keeps its files, and which ports it listens on.

Everything lives under `<repo>/.local` (git-ignored) so that two checkouts never share
state. Ports come from `contracts.settings.load()`: the defaults are the constants in
`contracts/settings.py`; exporting `WIC_KAFKA_BOOTSTRAP` / `WIC_DATABASE_URL` moves the
local stack (CI does this when the default ports are taken by another checkout's stack).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from contracts import settings as wic_settings
from infra.errors import StackError

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_EPHEMERAL = (32768, 60999)  # the kernel's default, if the file cannot be read


@dataclass(frozen=True)
class Ports:
    kafka: int
    controller: int
    postgres: int


@dataclass(frozen=True)
class Database:
    """The application database named by the settings URL (role, password, name)."""

    url: str
    host: str
    port: int
    role: str
    password: str
    name: str


def database(url: str | None = None) -> Database:
    url = url or wic_settings.load().database_url
    parts = urlsplit(url)
    return Database(
        url=url,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        role=parts.username or wic_settings.DEFAULT_ROLE,
        password=parts.password or "",
        name=parts.path.lstrip("/") or wic_settings.DEFAULT_DATABASE,
    )


def ports() -> Ports:
    """Local listener ports, following the settings so tests and stack agree."""
    s = wic_settings.load()
    first = s.bootstrap.split(",")[0]
    kafka = int(first.rsplit(":", 1)[1]) if ":" in first else wic_settings.KAFKA_PORT
    controller = (
        wic_settings.KAFKA_CONTROLLER_PORT if kafka == wic_settings.KAFKA_PORT else kafka + 1
    )
    return Ports(kafka=kafka, controller=controller, postgres=database(s.database_url).port)


def ephemeral_range(source: Path = EPHEMERAL_RANGE_FILE) -> tuple[int, int]:
    """The ports the kernel hands out to outgoing connections (`ip_local_port_range`)."""
    try:
        low, high = (int(x) for x in source.read_text().split())
    except (OSError, ValueError):
        return LINUX_EPHEMERAL
    return low, high


def check_outside_ephemeral(p: Ports | None = None, span: tuple[int, int] | None = None
                            ) -> None:
    """Refuse a listener port inside the ephemeral range (issue 14 finding 8): a client that
    reconnects to a stopped local server can be given that very port as its own source port
    (a TCP self-connect, then TIME-WAIT), and the server cannot bind it again on restart."""
    p = p or ports()
    low, high = span or ephemeral_range()
    inside = [(name, port) for name, port in (("Kafka", p.kafka), ("Kafka controller",
                                               p.controller), ("PostgreSQL", p.postgres))
              if low <= port <= high]
    if not inside:
        return
    named = ", ".join(f"{name} port {port}" for name, port in inside)
    raise StackError(
        f"{named} {'is' if len(inside) == 1 else 'are'} inside this machine's ephemeral port "
        f"range {low}-{high} ({EPHEMERAL_RANGE_FILE}): a reconnecting client can take such a "
        "port as its own source port, and the server then cannot restart on it. Choose a "
        f"port below {low} (or above {high}) whose next one is free too, e.g. "
        "`export WIC_KAFKA_BOOTSTRAP=127.0.0.1:21092` (controller: 21093) and "
        "`export WIC_DATABASE_URL=postgresql://wic:wic@127.0.0.1:21432/wic`; the defaults "
        "are 19092/19093/15432.")


def rel(path: Path) -> str:
    """Short path for messages: relative to the repo when inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)
