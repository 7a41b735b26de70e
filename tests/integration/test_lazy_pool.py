"""The query side's pool (`contracts.runtime.pool.LazyPool`): opened on the first query, one
for concurrent first queries, reading the service's schema, closed when the app stops."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from contracts.runtime.pool import LazyPool

pytestmark = pytest.mark.integration


class Signal:
    def __init__(self) -> None:
        self.receivers: list[Any] = []

    def connect(self, fun: Any) -> None:
        self.receivers.append(fun)

    async def send(self) -> None:
        for fun in self.receivers:
            await fun(None)


async def test_opened_on_first_use_once_and_closed_before_the_app_stops(
        database_url: str) -> None:
    app = SimpleNamespace(on_before_shutdown=Signal())
    lazy = LazyPool(database_url, "clearing").attach(app)
    assert lazy._pool is None  # nothing opened at start: a service starts without PostgreSQL
    first, second = await asyncio.gather(lazy.get(), lazy.get())
    assert first is second
    assert await first.fetchval("SHOW search_path") == "clearing"
    await app.on_before_shutdown.send()
    assert first._closed and lazy._pool is None
    reopened = await lazy.get()  # a query after a close opens a new pool
    assert reopened is not first
    await lazy.close()
