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

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"


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


def rel(path: Path) -> str:
    """Short path for messages: relative to the repo when inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)
