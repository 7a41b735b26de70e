"""Throwaway databases on the stack's PostgreSQL: one per test module, demo run or bench.

Each is created by the application role and migrated like the main one, so a run never
sees another's rows; `drop` removes it (connections are closed by FORCE).
"""

from __future__ import annotations

import re
import uuid

import asyncpg

from contracts.settings import load


def url_for(name: str, base: str | None = None) -> str:
    base = base or load().database_url
    return base.rsplit("/", 1)[0] + f"/{name}"


async def create(hint: str, base: str | None = None, migrate: bool = True) -> str:
    """Create `<hint>_<random>` (lowercase, safe characters) and return its URL."""
    from infra.migrate import migrate as apply_migrations

    safe = re.sub(r"[^a-z0-9_]", "", hint.lower())[:40] or "db"
    name = f"{safe}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(base or load().database_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = url_for(name, base)
    if migrate:
        await apply_migrations(url)
    return url


async def drop(url: str, base: str | None = None) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(base or load().database_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
