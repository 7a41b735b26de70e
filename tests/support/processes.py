"""Start a service as its own process for a test (see `infra.services`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.settings import Settings
from infra.services import ServiceProcess as _Process
from infra.services import free_port, start_all, stop_all
from ops.reference import files_under, publish, read_envelopes

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["ROOT", "ServiceProcess", "free_port", "service_fixture", "stack_fixture"]


class ServiceProcess(_Process):
    """A not-yet-started service process bound to one test's prefix and database."""

    def __init__(self, service: str, *, prefix: str, database_url: str, bootstrap: str,
                 log_dir: Path) -> None:
        super().__init__(service, prefix, database_url, bootstrap, log_dir)


def service_fixture(name: str, timeout: float = 90) -> Any:
    """A module-scoped fixture: service `name` running for the module's prefix and database
    (`service = service_fixture("registration")` in a test module)."""
    @pytest.fixture(scope="module")
    def service(prefix: str, database_url: str, bootstrap: str, log_dir: Path
                ) -> Iterator[_Process]:
        proc = ServiceProcess(name, prefix=prefix, database_url=database_url,
                              bootstrap=bootstrap, log_dir=log_dir).start(timeout=timeout)
        yield proc
        proc.stop()
    return service


def stack_fixture(reference: Path | None = None) -> Any:
    """A module-scoped fixture: the four services running, after `reference` data (a folder
    like `reference/sample`) was published for them."""
    @pytest.fixture(scope="module")
    async def stack(prefix: str, database_url: str, bootstrap: str, log_dir: Path
                    ) -> AsyncIterator[dict[str, _Process]]:
        if reference is not None:
            await publish(read_envelopes(files_under(reference)),
                          Settings(bootstrap, database_url, prefix))
        procs = start_all(prefix, database_url, bootstrap, log_dir)
        try:
            yield procs
        finally:
            stop_all(procs)
    return stack
