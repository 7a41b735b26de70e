"""Query API (faust web views over the PostgreSQL read model).

GET /encounters/{encounter_id}/settlement   every revision, lines with reasons
GET /encounters/{encounter_id}/settlement.pdf  the current one as a slip (结算单), in Chinese
GET /claims?status=&overdue_on=YYYY-MM-DD   claims by status / overdue on a date (XM-17)
GET /claims/{claim_id}                      one claim with its due dates
GET /openapi.json                           the OpenAPI 3 document
Overdue is computed for the date asked, not the wall clock; only this adapter defaults it
to today (Beijing) when the parameter is absent. Parameters are read with the bounded
helpers of `contracts.runtime.http` (a 4xx with a specific code, never a 5xx).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import faust
import orjson
from faust.web import Request, Response, View

from contracts.actor import Actor
from contracts.business_time import business_date
from contracts.read_authority import Resource, region_patterns
from contracts.runtime.http import (
    BadRequest,
    day,
    error,
    install_error_bodies,
    query,
    refusing,
    required_text,
    text,
)
from contracts.runtime.pool import LazyPool
from contracts.runtime.reads import Readers, allow
from contracts.settlement import AdjudicatedLine, ClaimStatus
from services.settlement.adapters import slip_pdf
from services.settlement.adapters.openapi import document
from services.settlement.adapters.slip_pdf import FontMissing, cjk_font, render_slip
from services.settlement.domain.slip import Slip, slip_name
from services.settlement.domain.workdays import claim_overdue

_STATUSES = frozenset(s.value for s in ClaimStatus)
_WAITING = "status IN ('complete', 'reviewed')"  # the only ones that can be overdue (XM-17)


def _row(record: asyncpg.Record, as_of: date | None = None) -> dict[str, Any]:
    out = {k: (orjson.loads(v) if k in ("lines", "costs") else v) for k, v in record.items()}
    out.pop("event_id", None)
    if as_of is not None and "review_due_on" in out:
        out["overdue"] = claim_overdue(out["status"], out["review_due_on"],
                                       out["payment_due_on"], as_of)
    return out


def _json(view: View, body: Any, status: int = 200) -> Response:
    return view.bytes(orjson.dumps(body, default=str), content_type="application/json",
                      status=status)


async def _revisions(pool: LazyPool, who: Actor, encounter_id: str) -> list[dict[str, Any]]:
    """Every revision of an encounter's settlement, once `who` may read its places."""
    encounter_id = required_text(encounter_id, "encounter_id")
    rows = await (await pool.get()).fetch(
        "SELECT * FROM encounter_settlements WHERE encounter_id=$1 ORDER BY revision",
        encounter_id)
    if not rows:
        raise BadRequest("unknown_encounter",
                         f"no settlement recorded for encounter {encounter_id}", 404)
    allow(who, Resource.SETTLEMENT, {p for r in rows
                                     for p in (r["insured_region"], r["treatment_region"])})
    return [_row(r) for r in rows]


def _slip(revision: dict[str, Any]) -> Slip:
    return Slip(**{k: revision[k] for k in SLIP_FIELDS},
                not_direct_reasons=tuple(revision["not_direct_reasons"]),
                lines=tuple(AdjudicatedLine.model_validate(x) for x in revision["lines"]))


SLIP_FIELDS = ("encounter_id", "revision", "mode", "status", "settlement_id", "worker_id",
               "institution_id", "insured_region", "treatment_region", "decided_on",
               "answer_due_on", "reversed_on")


def register(app: faust.App, pool: LazyPool, readers: Readers) -> None:
    install_error_bodies(app)

    @app.page("/encounters/{encounter_id}/settlement")
    class EncounterSettlement(View):
        @refusing
        async def get(self, request: Request, encounter_id: str) -> Response:
            who = readers.reader(request, Resource.SETTLEMENT)
            revisions = await _revisions(pool, who, encounter_id)
            return _json(self, {"encounter_id": revisions[-1]["encounter_id"],
                                "current": revisions[-1], "revisions": revisions})

    @app.page("/encounters/{encounter_id}/settlement.pdf")
    class SettlementSlip(View):
        """The current revision as a printable slip (结算单), read exactly like the JSON."""

        @refusing
        async def get(self, request: Request, encounter_id: str) -> Response:
            who = readers.reader(request, Resource.SETTLEMENT)
            slip = _slip((await _revisions(pool, who, encounter_id))[-1])
            try:
                font = cjk_font()
            except FontMissing as exc:  # ours to fix, not the reader's
                raise BadRequest("font_unavailable", str(exc), 503) from None
            body = await asyncio.to_thread(render_slip, slip, font)  # off the event loop
            return self.bytes(body, content_type=slip_pdf.CONTENT_TYPE, headers={
                "Content-Disposition": "attachment; "
                f'filename="{slip_name(slip.encounter_id, slip.revision)}"'})

    @app.page("/claims")
    class Claims(View):
        @refusing
        async def get(self, request: Request) -> Response:
            who = readers.reader(request, Resource.CLAIM)
            q = query(request)
            status = text(q.get("status"), "status", required=False, choices=_STATUSES)
            asked = day(q.get("overdue_on"), "overdue_on", required=False)
            as_of = asked or business_date(datetime.now(UTC))
            only_overdue = q.get("overdue_on") is not None
            # the claims of the insured places the reader acts for (a claim is filed and
            # paid by the fund of the insured place, XM-10…12)
            sql = ("SELECT * FROM claims WHERE ($1::text IS NULL OR status=$1)"
                   " AND insured_region LIKE ANY($2)")
            sql += f" AND {_WAITING}" if only_overdue else ""
            sql += " ORDER BY COALESCE(payment_due_on, review_due_on), claim_id"
            rows = await (await pool.get()).fetch(sql, status, region_patterns(who))
            claims = [_row(r, as_of) for r in rows]
            if only_overdue:  # the domain's rule decides, not a copy of it in SQL
                claims = [c for c in claims if c["overdue"]]
            return _json(self, {"as_of": as_of, "claims": claims})

    @app.page("/claims/{claim_id}")
    class Claim(View):
        @refusing
        async def get(self, request: Request, claim_id: str) -> Response:
            who = readers.reader(request, Resource.CLAIM)
            claim_id = required_text(claim_id, "claim_id")
            as_of = (day(query(request).get("as_of"), "as_of", required=False)
                     or business_date(datetime.now(UTC)))
            row = await (await pool.get()).fetchrow("SELECT * FROM claims WHERE claim_id=$1",
                                                    claim_id)
            if row is None:
                return error(self, 404, "unknown_claim", f"no claim {claim_id}")
            allow(who, Resource.CLAIM, (row["insured_region"],))
            return _json(self, _row(row, as_of))

    @app.page("/openapi.json")
    class OpenApi(View):
        async def get(self, request: Request) -> Response:
            return _json(self, document())
