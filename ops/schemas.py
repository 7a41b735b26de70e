"""Fresh schemas for rebuilt read models: create, migrate, swap, drop.

A rebuild gets the same migration files as the live schema (`services/<svc>/adapters/sql`,
applied by `infra/migrate.py`), applied with `search_path` = the fresh schema: the files
use unqualified names, so the same SQL creates the same tables anywhere. Rebuilt schemas
are not recorded in `public.schema_migrations` (that table tracks the live schemas only).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from infra.migrate import sql_text
from ops.projections import sql_files

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ident(name: str) -> str:
    """A quoted identifier; refuses anything but plain lower-case names (no injection)."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain schema/table name: {name!r} (use [a-z0-9_], ≤ 63 chars)")
    return f'"{name}"'


async def schema_exists(conn: asyncpg.Connection, schema: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema))


async def next_rebuild_name(conn: asyncpg.Connection, service: str, kind: str = "rebuild") -> str:
    """`<service>_rebuild_<n>` with n one more than the highest existing."""
    names = await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1",
                             f"{service}\\_{kind}\\_%")
    numbers = [int(m.group(1)) for r in names
               if (m := re.fullmatch(rf"{re.escape(service)}_{kind}_(\d+)", r["nspname"]))]
    return f"{service}_{kind}_{max(numbers, default=0) + 1}"


async def create_schema(database_url: str, schema: str, files: Sequence[Path]) -> None:
    """Create an empty schema and apply `files` inside it, all in one transaction."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        async with conn.transaction():
            if await schema_exists(conn, schema):
                raise ValueError(f"schema {schema} already exists: a rebuild needs a fresh one "
                                 "(choose another --into, or drop it)")
            await conn.execute(f"CREATE SCHEMA {ident(schema)}")
            await conn.execute(f"SET LOCAL search_path TO {ident(schema)}, public")
            for path in files:
                await conn.execute(sql_text(path))
    finally:
        await conn.close()


async def migrate_schema(database_url: str, service: str, schema: str) -> None:
    """Create `schema` with the migrations of `service` (as infra/migrate.py applies them)."""
    await create_schema(database_url, schema, sql_files(service))


async def drop_schema(database_url: str, schema: str) -> None:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {ident(schema)} CASCADE")
    finally:
        await conn.close()


async def swap(database_url: str, live: str, rebuilt: str, now: datetime | None = None) -> str:
    """Rename `live` to `<live>_old_<ts>` and `rebuilt` to `live` in one transaction.

    Returns the old schema's new name. Readers see either the old or the new schema, never
    neither. The service's projection must be restarted afterwards so that it seeks to the
    rebuilt schema's checkpoints (see docs/operations.md).
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    old = f"{live}_old_{stamp}"
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        async with conn.transaction():
            if await schema_exists(conn, live):
                await conn.execute(f"ALTER SCHEMA {ident(live)} RENAME TO {ident(old)}")
            await conn.execute(f"ALTER SCHEMA {ident(rebuilt)} RENAME TO {ident(live)}")
    finally:
        await conn.close()
    return old
