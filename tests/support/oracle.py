"""Batching changes nothing: a read model's `apply_many` against its per-event predecessor.

Each batched read model keeps its shipped per-event `apply` verbatim in its test as the
oracle. `BatchOracle` writes the same events into fresh schemas of the test database —
with the oracle, with `apply` (a batch of one) and with `apply_many` in batches — and
returns each schema's per-table digests, which the test compares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg

from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.projection import BatchProjection, connect
from ops import projections
from ops.digest import TableDigest, digest_schema
from ops.schemas import create_schema

Events = Sequence[Envelope[Message]]
Write = Callable[[asyncpg.Connection], Awaitable[None]]
PerEvent = Callable[[asyncpg.Connection, Envelope[Message]], Awaitable[None]]


def batches(events: Events, size: int) -> list[list[Envelope[Message]]]:
    return [list(events[i:i + size]) for i in range(0, len(events), size)]


@dataclass
class BatchOracle:
    database_url: str
    service: str  # whose migrations make the schema (`ops.projections.load`)
    tables: Sequence[str]
    model: BatchProjection
    events: Events

    async def build(self, schema: str, write: Write) -> list[TableDigest]:
        """Run `write` on a connection to a freshly migrated `schema`; its tables' digests."""
        await create_schema(self.database_url, schema, projections.load(self.service).sql_files)
        conn = await connect(self.database_url, schema)
        try:
            await write(conn)
        finally:
            await conn.close()
        plain = await asyncpg.connect(self.database_url)
        try:
            return await digest_schema(plain, schema, self.tables)
        finally:
            await plain.close()

    def one_by_one(self, apply: PerEvent) -> Write:
        """Each event in its own transaction, as the per-event runner applied them."""
        async def write(conn: asyncpg.Connection) -> None:
            for event in self.events:
                async with conn.transaction():
                    await apply(conn, event)
        return write

    def in_batches(self, size: int) -> Write:
        async def write(conn: asyncpg.Connection) -> None:
            for batch in batches(self.events, size):
                async with conn.transaction():
                    await self.model.apply_many(conn, batch)
        return write

    async def assert_batching_changes_nothing(self, oracle: PerEvent, prefix: str,
                                              sizes: Sequence[int]) -> list[TableDigest]:
        """The oracle's digests; `apply` one by one and `apply_many` in each of `sizes` (and
        in one batch) must leave the same rows."""
        expected = await self.build(f"{prefix}_oracle", self.one_by_one(oracle))
        assert await self.build(f"{prefix}_apply", self.one_by_one(self.model.apply)) == expected
        for size in (*sizes, len(self.events)):
            assert await self.build(f"{prefix}_batches_of_{size}",
                                    self.in_batches(size)) == expected, f"batches of {size}"
        return expected
