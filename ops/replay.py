"""`wic replay`: rebuild a read model from the log into a fresh schema, optionally swap it in.

Steps: create `<service>_rebuild_<n>` (or `--into`), apply the service's migrations inside
it, run the service's own `ProjectionRunner`s from offset zero up to fixed end offsets (the
topics' current ends, the first records after `--as-of`, or `--to-offset`), print a digest
per table. `--swap` then renames the live schema away and the rebuilt one into its place.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TextIO

from contracts import settings as settings_mod
from contracts.settings import Settings
from ops import digest, schemas
from ops.progress import Progress
from ops.projections import ReadModel, Selection, resolve
from ops.rebuild import Offsets, end_offsets, parse_to_offset, rebuild

EPILOG = """\
examples:
  wic replay all                         rebuild every read model to the log's current end
  wic replay clearing --swap             rebuild clearing's schema, then put it live
  wic replay ledger --as-of 2025-03-31T16:00:00Z
                                         the ledger as it was known at that instant
  wic replay ledger --to-offset clearing-events:0:1200 --into clearing_audit

The rebuilt schema is left in place (inspect it with psql; drop it when done) unless
--swap puts it live. Stop the service before --swap and start it after: it then continues
from the rebuilt schema's checkpoints.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "replay", help="rebuild a read model from the log into a fresh schema",
        description="Rebuild one projection (or a whole service's read model, or all) from "
        "offset zero into a fresh PostgreSQL schema, using the service's own projection code "
        "and migrations, and print a sha256 digest per table.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="PROJECTION|SERVICE|all",
                   help="a projection name, a service name (all its projections) or 'all'")
    end = p.add_mutually_exclusive_group()
    end.add_argument("--as-of", metavar="ISO_INSTANT", type=datetime.fromisoformat,
                     help="stop before the first record appended after this instant "
                     "(Kafka record timestamp; give a zone, e.g. 2025-03-31T16:00:00+08:00)")
    end.add_argument("--to-offset", metavar="TOPIC:PARTITION:OFFSET", action="append",
                     default=[], help="stop before this offset of this partition (repeatable; "
                     "TOPIC is the registry name; partitions not named replay to their end)")
    p.add_argument("--into", metavar="SCHEMA",
                   help="name of the fresh schema (default <service>_rebuild_<n>); must not exist")
    p.add_argument("--swap", action="store_true",
                   help="afterwards rename the live schema to <service>_old_<timestamp> and the "
                   "rebuilt one to <service>, in one transaction (whole services only)")
    p.set_defaults(func=_cli)


def _cli(args: argparse.Namespace) -> int:
    return asyncio.run(replay(
        settings_mod.load(), args.target, as_of=args.as_of,
        to_offsets=parse_to_offset(args.to_offset), into=args.into, swap=args.swap))


async def replay(settings: Settings, target: str, *, as_of: datetime | None = None,
                 to_offsets: Mapping[tuple[str, int], int] | None = None,
                 into: str | None = None, swap: bool = False,
                 models: Sequence[ReadModel] | None = None,
                 out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The `wic replay` command; `models` replaces discovery (tests). Returns the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    selections = resolve("replay", target, models, err)
    if selections is None:
        return 2
    if into and len(selections) > 1:
        print("wic replay: --into names one schema; replay one service at a time", file=err)
        return 2
    if swap and not all(s.complete for s in selections):
        print("wic replay: --swap replaces a whole schema: replay the service, not one of its "
              "projections", file=err)
        return 2
    for sel in selections:
        await _replay_one(settings, sel, as_of, to_offsets or {}, into, swap, out, err)
    return 0


async def _replay_one(settings: Settings, sel: Selection, as_of: datetime | None,
                      to_offsets: Mapping[tuple[str, int], int], into: str | None,
                      swap: bool, out: TextIO, err: TextIO) -> None:
    import asyncpg

    conn = await asyncpg.connect(settings.database_url, timeout=10)
    try:
        schema = into or await schemas.next_rebuild_name(conn, sel.model.service)
    finally:
        await conn.close()
    await schemas.create_schema(settings.database_url, schema, sel.model.sql_files)
    topics = [t for p in sel.projections for t in p.topics]
    until: Offsets = await end_offsets(settings, topics, as_of=as_of, explicit=to_offsets)
    names = ", ".join(p.name for p in sel.projections)
    progress = Progress(f"replay {names} -> {schema}", stream=err)
    applied = await rebuild(settings, sel.projections, schema, until, progress)
    print(f"{sel.model.service}: rebuilt {names} into schema {schema}: {applied} events "
          f"up to {_offsets_text(until)}", file=out)
    await print_digests(settings.database_url, schema, sel.tables, out)
    if swap:
        old = await schemas.swap(settings.database_url, sel.model.service, schema)
        print(f"{sel.model.service}: swapped: live schema is now the rebuild; the previous one "
              f"is {old}. Restart the {sel.model.service} service.", file=out)


async def print_digests(database_url: str, schema: str, tables: Sequence[str] | None,
                        out: TextIO) -> None:
    import asyncpg

    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        for d in await digest.digest_schema(conn, schema, tables):
            print(f"  {d.table:<32} {d.rows:>9} rows  sha256 {d.sha256[:16]}", file=out)
    finally:
        await conn.close()


def _offsets_text(until: Offsets) -> str:
    return " ".join(f"{t}:{p}:{o}" for (t, p), o in sorted(until.items())) or "(no records)"
