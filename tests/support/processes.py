"""Start a service as its own process for a test (see `infra.services`)."""

from __future__ import annotations

from pathlib import Path

from infra.services import ServiceProcess as _Process
from infra.services import free_port

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["ROOT", "ServiceProcess", "free_port"]


class ServiceProcess(_Process):
    """A not-yet-started service process bound to one test's prefix and database."""

    def __init__(self, service: str, *, prefix: str, database_url: str, bootstrap: str,
                 log_dir: Path) -> None:
        super().__init__(service, prefix, database_url, bootstrap, log_dir)
