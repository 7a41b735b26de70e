"""The query side's database pool: one per service, opened lazily, closed when the app stops.

Opened on the first query, not at start, so a service starts (and decides) while PostgreSQL
is away and its views answer 503 until it is back (`contracts.runtime.http`). Every
connection reads its service's schema (`search_path`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg


class LazyPool:
    """An asyncpg pool of `min_size`..`max_size` connections to `database_url`, `schema`
    first on the search path; `attach` closes it before the faust app shuts down."""

    def __init__(self, database_url: str, schema: str, *, min_size: int = 1,
                 max_size: int = 4) -> None:
        self.database_url = database_url
        self.schema = schema
        self.min_size, self.max_size = min_size, max_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()  # two first queries at once open one pool, not two

    async def get(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self.database_url, min_size=self.min_size, max_size=self.max_size,
                        server_settings={"search_path": self.schema})
        return self._pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def attach(self, app: Any) -> LazyPool:
        """Close the pool before `app` (a faust app) shuts down."""

        async def close(*_args: Any, **_kwargs: Any) -> None:
            await self.close()

        app.on_before_shutdown.connect(close)
        return self
