"""`GET /audit` on every service: its audit trail filtered by actor, subject and business
time, ordered by business time then log position, a page at a time.

Parameters are read with the bounded helpers of `contracts.runtime.http`; an unknown one
is refused (`unknown_parameter`), not ignored: a mistyped filter must not widen an audit
to everything. Every service takes every subject filter (a subject it never records
matches nothing), so `wic audit` sends the same query to all four.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import faust
from faust.web import Request, Response, View

from contracts.audit import SUBJECTS, AuditActor, AuditEntry, AuditPage, Cursor
from contracts.read_authority import Resource
from contracts.runtime.http import (
    BadRequest,
    install_error_bodies,
    instant,
    integer,
    param,
    query,
    refusing,
    responses,
    schemas,
    text,
)
from contracts.runtime.pool import LazyPool
from contracts.runtime.reads import Readers

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FILTERS = ("actor", *SUBJECTS)
PARAMETERS = frozenset({*FILTERS, "from", "until", "limit", "cursor"})
_COLUMN = {"actor": "actor_id", **{name: name for name in SUBJECTS}}


@dataclass(frozen=True)
class AuditQuery:
    equal: Mapping[str, str]  # column -> value
    since: datetime | None  # business time, inclusive
    until: datetime | None  # business time, exclusive
    limit: int
    after: Cursor | None


def parse(q: Mapping[str, str]) -> AuditQuery:
    """The query of `GET /audit` from its parameters, or `BadRequest` saying what is wrong."""
    unknown = sorted(set(q) - PARAMETERS)
    if unknown:
        raise BadRequest("unknown_parameter", f"{', '.join(unknown)[:200]}: not a filter of "
                         f"/audit (filters: {', '.join(sorted(PARAMETERS))})")
    equal = {_COLUMN[name]: value for name in FILTERS
             if (value := text(q.get(name), name, required=False)) is not None}
    since, until = instant(q.get("from"), "from"), instant(q.get("until"), "until")
    if since is not None and until is not None and since >= until:
        raise BadRequest("invalid_range", "from must be before until")
    limit = integer(q.get("limit"), "limit", lo=1, hi=MAX_LIMIT) or DEFAULT_LIMIT
    raw = text(q.get("cursor"), "cursor", required=False, max_len=400)
    try:
        after = Cursor.decode(raw) if raw is not None else None
    except ValueError as exc:
        raise BadRequest("invalid_cursor", f"cursor: {exc}") from None
    return AuditQuery(equal, since, until, limit, after)


def sql(asked: AuditQuery) -> tuple[str, list[Any]]:
    """The page's SELECT (one more row than the limit: is there a next page?)."""
    where: list[str] = []
    args: list[Any] = []
    for column, value in asked.equal.items():
        args.append(value)
        where.append(f"{column} = ${len(args)}")
    if asked.since is not None:
        args.append(asked.since)
        where.append(f"occurred_at >= ${len(args)}")
    if asked.until is not None:
        args.append(asked.until)
        where.append(f"occurred_at < ${len(args)}")
    if asked.after is not None:
        c = asked.after
        args += [c.occurred_at, c.topic, c.partition, c.offset]
        n = len(args)
        where.append(f"(occurred_at, topic, partition, log_offset) > "
                     f"(${n - 3}, ${n - 2}, ${n - 1}, ${n})")
    args.append(asked.limit + 1)
    return ("SELECT * FROM audit_trail" + (f" WHERE {' AND '.join(where)}" if where else "")
            + f" ORDER BY occurred_at, topic, partition, log_offset LIMIT ${len(args)}", args)


def entry(service: str, r: asyncpg.Record) -> AuditEntry:
    actor = None if r["actor_id"] is None else AuditActor(
        id=r["actor_id"], kind=r["actor_kind"], channel=r["actor_channel"],
        name=r["actor_name"] or "", roles=list(r["actor_roles"] or ()),
        regions=list(r["actor_regions"] or ()), institution=r["actor_institution"])
    return AuditEntry(service=service, event_id=r["event_id"], event_type=r["event_type"],
                      occurred_at=r["occurred_at"], recorded_at=r["recorded_at"],
                      topic=r["topic"], partition=r["partition"], offset=r["log_offset"],
                      actor=actor, causation_id=r["causation_id"],
                      correlation_id=r["correlation_id"], refused_type=r["refused_type"],
                      reason_code=r["reason_code"], **{name: r[name] for name in SUBJECTS})


async def page(pool: asyncpg.Pool, service: str, asked: AuditQuery) -> AuditPage:
    statement, args = sql(asked)
    rows = await pool.fetch(statement, *args)
    entries = [entry(service, r) for r in rows[:asked.limit]]
    last = entries[-1] if len(rows) > asked.limit else None
    cursor = (None if last is None else
              Cursor(last.occurred_at, last.topic, last.partition, last.offset).encode())
    return AuditPage(service=service, entries=entries, next_cursor=cursor)


def wire(app: faust.App, service: str, pool: LazyPool, readers: Readers
         ) -> None:
    """Serve `GET /audit` from the service's `audit_trail` (search_path = its schema), to
    auditors and operators of the whole agency (docs/assumptions.md, "Who may read")."""
    install_error_bodies(app)

    @app.page("/audit")
    class Audit(View):
        @refusing
        async def get(self, request: Request) -> Response:
            readers.reader(request, Resource.AUDIT)
            asked = parse(query(request))
            body = await page(await pool.get(), service, asked)
            return self.json(body.model_dump(mode="json"))


def openapi_paths() -> dict[str, Any]:
    """The `/audit` entry of a service's OpenAPI `paths`."""
    filters = [param(name, "query", "exact match" if name != "actor" else
                     "the actor's id, exact match (e.g. staff:zhang.wei)", False)
               for name in FILTERS]
    return {"/audit": {"get": {
        "summary": "Audit trail (审计): who did what, about which worker, registration, "
                   "encounter, claim, settlement, cycle or institution; refusals included",
        "parameters": [*filters,
                       param("from", "query", "business time, inclusive (ISO 8601 with "
                             "zone)", False, fmt="date-time"),
                       param("until", "query", "business time, exclusive", False,
                             fmt="date-time"),
                       param("limit", "query", f"1..{MAX_LIMIT}, default {DEFAULT_LIMIT}",
                             False, kind="integer"),
                       param("cursor", "query", "next_cursor of the previous page (same "
                             "filters)", False)],
        "responses": responses(AuditPage, (400, "bad parameter: unknown_parameter, "
                                           "invalid_instant, invalid_range, out_of_range, "
                                           "invalid_cursor, …"))}}}


def openapi_schemas() -> dict[str, Any]:
    return schemas(AuditPage, mode="serialization")
