"""Digests of read-model tables, and the first row where two schemas differ.

A table's digest is sha256 over its rows in primary-key order, each row in PostgreSQL's
canonical text form (`row::text`, one per line): two schemas built by the same migrations
have the same digest exactly when they hold the same rows. `checkpoints` is excluded (a
replay stops at the same offsets, but the table says where a rebuild is, not what it knows).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from ops.schemas import ident

EXCLUDED = frozenset({"checkpoints"})


@dataclass(frozen=True)
class TableDigest:
    table: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class RowDifference:
    """The first (by primary key) row that differs; None on a side means absent there."""

    table: str
    key: dict[str, str | None]
    left: str | None
    right: str | None


async def primary_key(conn: asyncpg.Connection, schema: str, table: str) -> list[str]:
    """The table's primary-key columns in key order ([] if it has none)."""
    rows = await conn.fetch(
        """
        SELECT a.attname
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE i.indisprimary AND n.nspname = $1 AND c.relname = $2
        ORDER BY k.ord
        """,
        schema, table,
    )
    return [r["attname"] for r in rows]


async def tables_of(conn: asyncpg.Connection, schema: str) -> list[str]:
    """Every base table of a schema except the excluded ones."""
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 "
        "AND table_type = 'BASE TABLE' ORDER BY table_name", schema)
    return [r["table_name"] for r in rows if r["table_name"] not in EXCLUDED]


def _order(alias: str, pk: Sequence[str]) -> str:
    # Without a primary key the whole row's text orders it: still deterministic.
    return ", ".join(f"{alias}.{ident(c)}" for c in pk) if pk else f"{alias}::text"


async def digest_table(conn: asyncpg.Connection, schema: str, table: str) -> TableDigest:
    pk = await primary_key(conn, schema, table)
    sql = (f"SELECT t::text AS row FROM {ident(schema)}.{ident(table)} t "
           f"ORDER BY {_order('t', pk)}")
    h = hashlib.sha256()
    count = 0
    async with conn.transaction():  # a cursor needs one; nested calls become savepoints
        async for rec in conn.cursor(sql, prefetch=1000):
            h.update(rec["row"].encode())
            h.update(b"\n")
            count += 1
    return TableDigest(table, count, h.hexdigest())


async def digest_schema(conn: asyncpg.Connection, schema: str,
                        tables: Sequence[str] | None = None) -> list[TableDigest]:
    names = [t for t in (tables if tables is not None else await tables_of(conn, schema))
             if t not in EXCLUDED]
    return [await digest_table(conn, schema, t) for t in names]


async def first_difference(conn: asyncpg.Connection, left: str, right: str,
                           table: str) -> RowDifference | None:
    """The first row, by primary key, present or different in only one of two schemas."""
    pk = await primary_key(conn, left, table)
    lt, rt = f"{ident(left)}.{ident(table)}", f"{ident(right)}.{ident(table)}"
    if pk:
        on = " AND ".join(f"a.{ident(c)} = b.{ident(c)}" for c in pk)
        keys = ", ".join(f"coalesce(a.{ident(c)}, b.{ident(c)})::text AS k{i}"
                         for i, c in enumerate(pk))
        order = ", ".join(f"coalesce(a.{ident(c)}, b.{ident(c)})" for c in pk)
        sql = (f"SELECT {keys}, CASE WHEN a IS NULL THEN NULL ELSE a::text END AS l, "
               f"CASE WHEN b IS NULL THEN NULL ELSE b::text END AS r "
               f"FROM {lt} a FULL JOIN {rt} b ON {on} "
               f"WHERE a::text IS DISTINCT FROM b::text ORDER BY {order} LIMIT 1")
        rec = await conn.fetchrow(sql)
        if rec is None:
            return None
        key = {c: rec[f"k{i}"] for i, c in enumerate(pk)}
        return RowDifference(table, key, rec["l"], rec["r"])
    # No primary key: compare as multisets of row texts.
    sql = (f"(SELECT t::text AS row, 'l' AS side FROM {lt} t EXCEPT ALL SELECT t::text, 'l' "
           f"FROM {rt} t) UNION ALL (SELECT t::text, 'r' FROM {rt} t EXCEPT ALL "
           f"SELECT t::text, 'r' FROM {lt} t) ORDER BY 1 LIMIT 1")
    rec = await conn.fetchrow(sql)
    if rec is None:
        return None
    side_l = rec["side"] == "l"
    return RowDifference(table, {}, rec["row"] if side_l else None,
                         None if side_l else rec["row"])


def describe(diff: RowDifference, left_name: str, right_name: str) -> str:
    key = ", ".join(f"{k}={v}" for k, v in diff.key.items()) or "(no primary key)"
    return (f"{diff.table} first differing row [{key}]:\n"
            f"    {left_name}: {diff.left if diff.left is not None else '(absent)'}\n"
            f"    {right_name}: {diff.right if diff.right is not None else '(absent)'}")
