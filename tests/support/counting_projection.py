"""A deliberately non-idempotent projection (it increments a counter) for crash tests.

If the runner ever applied an event twice, `totals.n` would exceed the number of events;
if it lost one, it would fall short. Run as a process so a test can kill it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.projection import ProjectionRunner
from contracts.topics import HOSPITAL_REPLIES, Topic

DDL = """
CREATE TABLE IF NOT EXISTS totals (id int PRIMARY KEY, n bigint NOT NULL);
INSERT INTO totals VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS seen_log (event_id uuid NOT NULL);
"""


@dataclass
class CountingProjection:
    name: str = "counting"
    topics: tuple[Topic, ...] = (HOSPITAL_REPLIES,)
    delay: float = 0.0

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None:
        await conn.execute("UPDATE totals SET n = n + 1 WHERE id = 1")
        await conn.execute("INSERT INTO seen_log (event_id) VALUES ($1)", event.event_id)
        if self.delay:
            await asyncio.sleep(self.delay)


async def counted(conn: asyncpg.Connection, schema: str) -> int:
    """The counter: how many events the projection applied into `schema`."""
    return int(await conn.fetchval(f'SELECT n FROM "{schema}".totals WHERE id = 1'))


async def wait_counted(conn: asyncpg.Connection, schema: str, done: Callable[[int], bool],
                       timeout: float = 30.0) -> int:
    """Poll the counter until `done(n)`; fail with the count it stuck at."""
    deadline = time.monotonic() + timeout
    while not done(n := await counted(conn, schema)):
        if time.monotonic() > deadline:
            raise AssertionError(f"counter stuck at {n}")
        await asyncio.sleep(0.05)
    return n


async def prepare(database_url: str, schema: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(f'SET search_path TO "{schema}"')
        await conn.execute(DDL)
    finally:
        await conn.close()


async def main(bootstrap: str, database_url: str, schema: str, prefix: str) -> None:
    await prepare(database_url, schema)
    runner = ProjectionRunner(CountingProjection(delay=0.002), bootstrap, database_url, schema,
                              prefix=prefix, batch_size=20)
    await runner.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
    os._exit(0)
