"""A fresh, migrated PostgreSQL database per test module: rows never leak between tests."""

from __future__ import annotations

import uuid

import asyncpg

from contracts.settings import load


def admin_url() -> str:
    return load().database_url


async def create_database(name_hint: str) -> str:
    name = f"t_{name_hint}_{uuid.uuid4().hex[:8]}".lower()
    base = admin_url()
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin_url())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
