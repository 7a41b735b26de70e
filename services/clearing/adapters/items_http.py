"""`GET /cycles/{cycle_id}/items` (national 3260): the settlements a cycle holds, paged
(limit / offset, ordered by settlement id), each with its amounts and each region's
confirmation or dispute (3261). Read like the statement: the ledger's readers, for the
cycle's two regions."""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View
from pydantic import BaseModel

from contracts.clearing import parse_cycle_id
from contracts.read_authority import Resource
from contracts.runtime.http import BadRequest, integer, query, refusing, required_text, text
from contracts.runtime.pool import LazyPool
from contracts.runtime.reads import Readers, allow

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


class ItemMarkOut(BaseModel):
    status: str  # confirmed | disputed
    reason: str
    actor: str
    on: str


class CycleItemOut(BaseModel):
    settlement_id: str
    institution_id: str
    debtor: str
    creditor: str
    settled_fen: int
    refused_fen: int
    amount_fen: int
    marks: dict[str, ItemMarkOut]  # region -> its word on this item


class CycleItems(BaseModel):
    cycle_id: str
    status: str
    total: int  # items matching the filter
    limit: int
    offset: int
    next_offset: int | None  # None: this is the last page
    disputed: list[str]  # every settlement of the cycle with an open item dispute
    items: list[CycleItemOut]


def register(app: faust.App, pool: LazyPool, readers: Readers) -> None:
    @app.page("/cycles/{cycle_id}/items")
    class Items(View):
        @refusing
        async def get(self, request: Request, cycle_id: str) -> Response:
            who = readers.reader(request, Resource.LEDGER)
            q = query(request)
            cycle_id = required_text(cycle_id, "cycle_id")
            try:
                parse_cycle_id(cycle_id)
            except ValueError as exc:
                raise BadRequest("invalid_cycle_id", str(exc)) from None
            limit = integer(q.get("limit"), "limit", lo=1, hi=MAX_LIMIT) or DEFAULT_LIMIT
            offset = integer(q.get("offset"), "offset", hi=10**9) or 0
            institution = text(q.get("institution_id"), "institution_id", required=False)
            conn = await pool.get()
            row = await conn.fetchrow("SELECT * FROM cycles WHERE cycle_id=$1", cycle_id)
            if row is None:
                raise BadRequest("unknown_cycle", f"no cycle {cycle_id}", 404)
            allow(who, Resource.LEDGER, (row["region_a"], row["region_b"]))
            where = "cycle_id = $1 AND ($2::text IS NULL OR institution_id = $2)"
            total = await conn.fetchval(f"SELECT COUNT(*) FROM cycle_items WHERE {where}",
                                        cycle_id, institution)
            rows = await conn.fetch(f"SELECT * FROM cycle_items WHERE {where}"
                                    " ORDER BY settlement_id LIMIT $3 OFFSET $4",
                                    cycle_id, institution, limit, offset)
            marks: dict[str, dict[str, ItemMarkOut]] = {}
            for m in await conn.fetch(
                    "SELECT * FROM cycle_item_marks WHERE cycle_id=$1 AND settlement_id ="
                    " ANY($2::text[])", cycle_id, [r["settlement_id"] for r in rows]):
                marks.setdefault(m["settlement_id"], {})[m["region"]] = ItemMarkOut(
                    status=m["status"], reason=m["reason"], actor=m["actor"],
                    on=m["marked_on"].isoformat())
            disputed = [r["settlement_id"] for r in await conn.fetch(
                "SELECT DISTINCT settlement_id FROM cycle_item_marks WHERE cycle_id=$1 AND"
                " status='disputed' ORDER BY settlement_id", cycle_id)]
            out = CycleItems(
                cycle_id=cycle_id, status=row["status"], total=total, limit=limit,
                offset=offset, next_offset=offset + limit if offset + limit < total else None,
                disputed=disputed, items=[_item(r, marks.get(r["settlement_id"], {}))
                                          for r in rows])
            return self.json(out.model_dump(mode="json"))


def _item(r: Any, marks: dict[str, ItemMarkOut]) -> CycleItemOut:
    return CycleItemOut(settlement_id=r["settlement_id"], institution_id=r["institution_id"],
                        debtor=r["debtor"], creditor=r["creditor"],
                        settled_fen=r["settled_fen"], refused_fen=r["refused_fen"],
                        amount_fen=r["settled_fen"] - r["refused_fen"], marks=marks)
