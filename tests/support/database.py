"""A fresh, migrated PostgreSQL database per test module (see `infra.databases`)."""

from __future__ import annotations

from infra.databases import create, drop


async def create_database(name_hint: str) -> str:
    return await create(f"t_{name_hint}", migrate=False)


async def drop_database(url: str) -> None:
    await drop(url)
