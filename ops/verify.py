"""`wic verify`: does each live read model equal a fresh rebuild from the log?

For each service: rebuild into a temporary schema up to the live schema's own checkpoints
(so both have consumed exactly the same records), then, in one REPEATABLE READ snapshot,
check the live checkpoints have not moved (else catch up and look again) and compare the
per-table digests; for a table that differs, print the first differing row by primary key.
Then run the service's `CHECKS` (e.g. the ledger sums to zero), and the input ledger
(`ops/inputs.py`, issue 14): every input record up to its consumer group's committed offsets
has an event, a reply or a dead letter. Exit 1 on any problem.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Sequence
from typing import TextIO

import asyncpg

from contracts import settings as settings_mod
from contracts.settings import Settings
from infra.migrate import SERVICES
from ops import digest, inputs, schemas
from ops.progress import Progress
from ops.projections import ReadModel, Selection, resolve
from ops.rebuild import Offsets, rebuild
from ops.reconcile import reconcile

ATTEMPTS = 5  # catch-up rounds when the live projection keeps moving during a verify

EPILOG = """\
examples:
  wic verify              every read model, plus every service's consistency checks
  wic verify clearing     one service (its projections and CHECKS)
  wic verify ledger       one projection (its whole service is rebuilt if its tables are
                          not declared per projection)
  wic verify --no-inputs  skip the input ledger (every input answered or dead-lettered)

exit status: 0 if everything matches, 1 if any table differs, any check fails or any
input record before its group's committed offset has no event, reply or dead letter.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "verify", help="compare live read models with a rebuild from the log; run checks",
        description="Rebuild each read model into a temporary schema up to the live "
        "checkpoints, compare table digests with the live schema, show the first differing "
        "row of any table that differs, run the services' CHECKS, drop the temporary schemas.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", nargs="?", default="all", metavar="PROJECTION|SERVICE|all",
                   help="what to verify (default: all)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary schemas (to inspect a difference with psql)")
    p.add_argument("--no-inputs", dest="inputs", action="store_false", default=None,
                   help="skip the input ledger (reads every input, output and dead-letter "
                   "topic of the services verified)")
    p.set_defaults(func=_cli)


def _cli(args: argparse.Namespace) -> int:
    return asyncio.run(verify(settings_mod.load(), args.target, keep=args.keep,
                              inputs=args.inputs))


async def verify(settings: Settings, target: str = "all", *, keep: bool = False,
                 models: Sequence[ReadModel] | None = None,
                 out: TextIO | None = None, err: TextIO | None = None,
                 inputs: bool | None = None) -> int:
    """The `wic verify` command; returns 0 when everything matches, 1 otherwise.

    `inputs`: run the input ledger (issue 14); None = when verifying `all` or a service
    name with the services' own read models (not with `models` given)."""
    out, err = out or sys.stdout, err or sys.stderr
    selections = resolve("verify", target, models, err)
    if selections is None:
        return 2
    problems = 0
    for sel in selections:
        if sel.tables is None:
            print(f"note: {sel.model.service}: projection tables not declared separately; "
                  "verifying the whole service", file=err)
            sel = sel.whole()
        problems += await _verify_one(settings, sel, keep, out, err)
    if target == "all" and models is None:
        problems += await _reconcile(settings.database_url, out)
    if inputs is None:
        inputs = models is None and (target == "all" or target in SERVICES)
    if inputs:
        problems += await _input_ledger(settings, None if target not in SERVICES else [target],
                                        out, err)
    print(f"verify: {'OK' if problems == 0 else f'{problems} problem(s)'}", file=out)
    return 0 if problems == 0 else 1


async def live_checkpoints(conn: asyncpg.Connection, schema: str,
                           projections: Sequence[str]) -> Offsets:
    if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL",
                               f"{schemas.ident(schema)}.checkpoints"):
        return {}
    rows = await conn.fetch(
        f"SELECT topic, partition, next_offset FROM {schemas.ident(schema)}.checkpoints "
        "WHERE projection = ANY($1::text[])", list(projections))
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def _verify_one(settings: Settings, sel: Selection, keep: bool, out: TextIO,
                      err: TextIO) -> int:
    live = sel.model.service
    temp = f"{live}_verify_{uuid.uuid4().hex[:6]}"
    names = [p.name for p in sel.projections]
    await schemas.create_schema(settings.database_url, temp, sel.model.sql_files)
    conn = await asyncpg.connect(settings.database_url, timeout=10)
    try:
        if not await schemas.schema_exists(conn, live):
            print(f"{live}: no live schema {live!r} (not migrated?)", file=out)
            return 1
        problems: int | None = None
        applied = 0
        for _ in range(ATTEMPTS):
            until = await live_checkpoints(conn, live, names)
            progress = Progress(f"verify {', '.join(names)}", stream=err)
            applied += await rebuild(settings, sel.projections, temp, until, progress)
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                if await live_checkpoints(conn, live, names) != until:
                    continue  # the live projection moved on: catch up and compare again
                print(f"{live}: rebuilt {', '.join(names)} into {temp}: {applied} events, "
                      "up to the live checkpoints", file=out)
                problems = await _compare(conn, live, temp, sel.tables or [], out)
            break
        if problems is None:
            print(f"{live}: the live projection kept moving; stop its writers and retry",
                  file=out)
            problems = 1
        problems += await _run_checks(sel.model, settings.database_url, out)
        return problems
    finally:
        await conn.close()
        if not keep:
            await schemas.drop_schema(settings.database_url, temp)


async def _compare(conn: asyncpg.Connection, live: str, temp: str, tables: Sequence[str],
                   out: TextIO) -> int:
    problems = 0
    for table in tables:
        missing = [s for s in (live, temp) if not await conn.fetchval(
            "SELECT to_regclass($1) IS NOT NULL", f"{schemas.ident(s)}.{schemas.ident(table)}")]
        if missing:
            problems += 1
            print(f"  {table:<32} missing in {' and '.join(missing)} (not migrated? run `wic up`)",
                  file=out)
            continue
        a = await digest.digest_table(conn, live, table)
        b = await digest.digest_table(conn, temp, table)
        if a == b:
            print(f"  {table:<32} {a.rows:>9} rows  OK       sha256 {a.sha256[:16]}", file=out)
            continue
        problems += 1
        print(f"  {table:<32} {a.rows:>9} rows  DIFFERS  (rebuild: {b.rows} rows)", file=out)
        diff = await digest.first_difference(conn, live, temp, table)
        if diff is not None:
            text = digest.describe(diff, "live   ", "rebuilt")
            print("    " + text.replace("\n", "\n    "), file=out)
    return problems


async def _run_checks(model: ReadModel, database_url: str, out: TextIO) -> int:
    """The service's own invariants, on its live schema; a crashing check is a problem too."""
    problems = 0
    for check in model.checks:
        name = getattr(check, "__name__", repr(check))
        conn = await asyncpg.connect(database_url, timeout=10,
                                     server_settings={"search_path": model.service})
        try:
            found = await check(conn)
        except Exception as exc:
            found = [f"check failed to run: {type(exc).__name__}: {exc}"]
        finally:
            await conn.close()
        for problem in found:
            print(f"  check {name}: {problem}", file=out)
        if not found:
            print(f"  check {name}: OK", file=out)
        problems += len(found)
    return problems


async def _reconcile(database_url: str, out: TextIO) -> int:
    """The services agree with each other (see ops/reconcile.py)."""
    print("cross-service reconciliation:", file=out)
    problems = 0
    for name, found in await reconcile(database_url):
        for problem in found:
            print(f"  check {name}: {problem}", file=out)
        if not found:
            print(f"  check {name}: OK", file=out)
        problems += sum(1 for p in found if not p.startswith("skipped"))
    return problems


async def _input_ledger(settings: Settings, services: Sequence[str] | None, out: TextIO,
                        err: TextIO) -> int:
    """Every input answered or dead-lettered (ops/inputs.py, issue 14)."""
    try:
        tallies = await inputs.check(settings, services, err)
    except Exception as exc:  # like a check that raises: a problem, said plainly
        print(f"input ledger: failed to run: {type(exc).__name__}: {exc}", file=out)
        return 1
    problems = inputs.report(tallies, out)
    if problems:
        missing = sum(t.unaccounted for t in tallies)
        print(f"input ledger: {missing} input record(s) unaccounted: the service consumed them "
              "(its group committed past them) but left no event, reply or dead letter",
              file=out)
    return problems
