"""Plain-SQL migrations, one PostgreSQL schema per service.

Files are `services/<svc>/adapters/sql/NNN_name.sql`, applied in (service order, file name
order), each in its own transaction with `search_path` set to the service's schema (so files
may use unqualified names), and recorded in `public.schema_migrations`. Applied files are
never re-run: change the schema with a new file. A line `-- include: PATH` (relative to the
checkout) stands for that file's text: the audit trail's table, the same in every service,
is written once (`contracts/runtime/sql/audit_trail.sql`). An advisory lock serialises concurrent
migrators of the same database (e.g. `wic up` while a test session starts).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from infra.errors import StackError
from infra.layout import ROOT

SERVICES = ("registration", "encounter", "settlement", "clearing", "benefits")
LOCK_KEY = 0x57494300  # "WIC\0": arbitrary, constant advisory-lock id

BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    service    text        NOT NULL,
    filename   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service, filename)
)
"""


def services_dir() -> Path:
    """Where the `services` package lives, found without importing it."""
    spec = importlib.util.find_spec("services")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return ROOT / "services"


INCLUDE = re.compile(r"^-- include: (\S+)$", re.MULTILINE)


def sql_text(path: Path) -> str:
    """A migration file's SQL, with each `-- include: PATH` line replaced by PATH's text."""
    root = services_dir().parent
    return INCLUDE.sub(lambda m: (root / m.group(1)).read_text(), path.read_text())


def pending_files(base: Path | None = None) -> list[tuple[str, Path]]:
    """All migration files in apply order, as (service, path)."""
    base = base or services_dir()
    found: list[tuple[str, Path]] = []
    for svc in SERVICES:
        sql_dir = base / svc / "adapters" / "sql"
        if sql_dir.is_dir():
            found.extend((svc, f) for f in sorted(sql_dir.glob("*.sql")))
    return found


async def migrate(database_url: str, base: Path | None = None) -> list[str]:
    """Apply every not-yet-applied file; returns the applied ones as `svc/NNN_name.sql`."""
    import asyncpg

    conn = await asyncpg.connect(database_url, timeout=10)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        await conn.execute(BOOKKEEPING)
        rows = await conn.fetch("SELECT service, filename FROM public.schema_migrations")
        done = {(r["service"], r["filename"]) for r in rows}
        for svc in SERVICES:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{svc}"')
        for svc, path in pending_files(base):
            if (svc, path.name) in done:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(f'SET LOCAL search_path TO "{svc}", public')
                    await conn.execute(sql_text(path))
                    await conn.execute(
                        "INSERT INTO public.schema_migrations (service, filename) "
                        "VALUES ($1, $2)", svc, path.name,
                    )
            except asyncpg.PostgresError as exc:
                raise StackError(
                    f"Migration {svc}/{path.name} failed (rolled back): {exc}"
                ) from exc
            applied.append(f"{svc}/{path.name}")
    finally:
        try:
            await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
        finally:
            await conn.close()
    return applied


async def applied_count(database_url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        if not await conn.fetchval("SELECT to_regclass('public.schema_migrations') IS NOT NULL"):
            return 0
        return int(await conn.fetchval("SELECT count(*) FROM public.schema_migrations"))
    finally:
        await conn.close()
