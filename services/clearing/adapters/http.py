"""Query API (faust web, PostgreSQL read model): balances as of any instant or ledger
position, cycle statements (JSON, and as CSV / XLSX files read exactly like the JSON),
cycles of a month, prepayment positions, OpenAPI. Parameters
are read with the bounded helpers of `contracts.runtime.http` (a 4xx with a specific code,
never a 5xx); an account that has no ledger entry is unknown (404)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import faust
from faust.web import Request, Response, View
from pydantic import BaseModel

from contracts.actor import Actor
from contracts.clearing import CycleLine, PartyNet, parse_cycle_id
from contracts.read_authority import Resource, account_regions, may_read
from contracts.reconciliation import ReconcileInstitution, ReconciliationAnswered
from contracts.runtime import audit_view, ingress
from contracts.runtime.http import (
    BadRequest,
    ErrorBody,
    install_error_bodies,
    instant,
    integer,
    month,
    param,
    query,
    refusal,
    refusing,
    required_text,
    responses,
    schemas,
    text,
)
from contracts.runtime.pool import LazyPool
from contracts.runtime.reads import Readers, allow, secure
from services.clearing.adapters import accounts_view
from services.clearing.adapters.commands import COMMAND_DESK
from services.clearing.adapters.files import csv_file, xlsx_file
from services.clearing.adapters.items_http import CycleItems
from services.clearing.domain.statement_files import Document, statement_document

SCHEMA = "clearing"
FILES: dict[str, tuple[Callable[[Document], bytes], str]] = {
    "csv": (csv_file.render_csv, csv_file.CONTENT_TYPE),
    "xlsx": (xlsx_file.render_xlsx, xlsx_file.CONTENT_TYPE)}
"""The statement's file formats (issue 18 item 4): suffix → renderer, media type."""


class Balance(BaseModel):
    account: str
    balance_fen: int
    as_of: datetime | None = None
    offset: int | None = None  # entries at ledger positions < offset


class CycleOut(BaseModel):
    cycle_id: str
    month: str
    scope: str
    status: str
    confirmed: list[str]
    disputed: dict[str, str]
    rolled_into: str | None
    late_items: int


class Statement(CycleOut):
    lines: list[CycleLine]
    nets: list[PartyNet]  # frozen at close; live (computed) while open
    institutions: dict[str, int]  # amount per institution


class Prepayment(BaseModel):
    account: str
    funded_fen: int
    balance_fen: int
    warning_line_fen: int
    status: str  # ok | warning | overdrawn
    top_up_requested_fen: int


def openapi() -> dict[str, Any]:
    def op(summary: str, model: type[BaseModel], params: list[dict[str, Any]],
           many: bool = False) -> dict[str, Any]:
        return {"get": {"summary": summary, "parameters": params,
                        "responses": responses(model, "4XX", description="ok", many=many)}}

    def p(name: str, where: str, kind: str = "string", required: bool = False,
          fmt: str | None = None) -> dict[str, Any]:
        return param(name, where, required=required or where == "path", kind=kind, fmt=fmt)

    return secure({"openapi": "3.0.3",
            "info": {"title": "clearing", "version": "1"},
            "paths": {
                "/accounts/{account}/balance": op(
                    "Balance of an account, now, as of an instant (as_of, ISO 8601 with zone: "
                    "entries whose business time is <= it) or a ledger offset (entries < it)",
                    Balance, [p("account", "path"), p("as_of", "query", fmt="date-time"),
                              p("offset", "query", "integer", fmt="int64")]),
                "/cycles": op("Cycles of a month (YYYY-MM)", CycleOut,
                              [p("month", "query", required=True)], True),
                "/cycles/{cycle_id}/statement": op("A cycle's statement per region and "
                                                   "institution", Statement,
                                                   [p("cycle_id", "path")]),
                **{f"/cycles/{{cycle_id}}/statement.{suffix}": _file_op(
                    f"The cycle's statement as {suffix.upper()} (issue 18 item 4): its lines "
                    "with totals and each party's net, or with institution_id one "
                    "institution's lines; amounts in yuan with two decimals", content_type)
                   for suffix, (_, content_type) in FILES.items()},
                "/cycles/{cycle_id}/items": op(
                    "National 3260: the settlements a cycle holds, paged (limit ≤ 1000, "
                    "offset), with each region's confirmation or dispute (3261)", CycleItems,
                    [p("cycle_id", "path"), p("limit", "query", "integer"),
                     p("offset", "query", "integer"), p("institution_id", "query")]),
                "/reconciliation": {"post": {
                    "summary": "National 3201 (totals) / 3202 (with items): an institution "
                    "reconciles a period or a cycle with its credential",
                    "security": [{"bearer": []}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ReconcileInstitution"}}}},
                    "responses": responses(ReconciliationAnswered, 400,
                                           (401, "no valid institution credential"),
                                           (403, "another institution's"),
                                           (404, "unknown cycle"), (413, "body too large"),
                                           description="match or mismatch")}},
                "/prepayments": op("Prepayment positions with warning status", Prepayment,
                                   [], True),
                "/commands": ingress.openapi_path(COMMAND_DESK),
                **accounts_view.openapi_paths(),  # GET /accounts (issue 18 item 6.4)
                **audit_view.openapi_paths()},
            "components": ingress.openapi_components(
                COMMAND_DESK, {**schemas(Balance, CycleOut, Statement, Prepayment, ErrorBody,
                                         accounts_view.AccountsPage, CycleItems,
                                         ReconcileInstitution, ReconciliationAnswered),
                               **audit_view.openapi_schemas()})})


def _file_op(summary: str, content_type: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": [
        param("cycle_id", "path"),
        param("institution_id", "query", "only this institution's lines", required=False)],
        "responses": {"200": {"description": "the file, as an attachment", "content": {
            content_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}}},
            "400": refusal("bad parameter"),
            "404": refusal("unknown cycle, or no line of the institution in it")}}}


def register(app: faust.App, pool: LazyPool, readers: Readers) -> None:
    install_error_bodies(app)
    accounts_view.register(app, pool, readers)  # GET /accounts (issue 18 item 6.4)

    @app.page("/openapi.json")
    class OpenApi(View):
        async def get(self, request: Request) -> Response:
            return self.json(openapi())

    @app.page("/accounts/{account}/balance")
    class AccountBalance(View):
        @refusing
        async def get(self, request: Request, account: str) -> Response:
            who = readers.reader(request, Resource.LEDGER)
            q = query(request)
            account = required_text(account, "account")
            allow(who, Resource.LEDGER, account_regions(account))
            out = Balance(account=account, balance_fen=0, as_of=instant(q.get("as_of"), "as_of"),
                          offset=integer(q.get("offset"), "offset"))
            conn = await pool.get()
            if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM ledger_entries"
                                       " WHERE account = $1)", account):
                raise BadRequest("unknown_account", f"no ledger entry for account {account}",
                                 404)
            sql = "SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entries WHERE account = $1"
            args: list[Any] = [account]
            if out.as_of is not None:
                sql += f" AND occurred_at <= ${len(args) + 1}"
                args.append(out.as_of)
            if out.offset is not None:
                sql += f" AND ledger_seq < ${len(args) + 1}"
                args.append(out.offset)
            out.balance_fen = int(await conn.fetchval(sql, *args))
            return self.json(out.model_dump(mode="json"))

    @app.page("/cycles")
    class Cycles(View):
        @refusing
        async def get(self, request: Request) -> Response:
            who = readers.reader(request, Resource.LEDGER)
            asked = month(query(request).get("month"))
            rows = await (await pool.get()).fetch(
                "SELECT * FROM cycles WHERE month = $1 ORDER BY cycle_id", asked)
            return self.json([_cycle(r).model_dump(mode="json") for r in rows
                              if may_read(who, Resource.LEDGER, (r["region_a"], r["region_b"]))])

    @app.page("/cycles/{cycle_id}/statement")
    class CycleStatement(View):
        @refusing
        async def get(self, request: Request, cycle_id: str) -> Response:
            who = readers.reader(request, Resource.LEDGER)
            out = await _statement(pool, who, cycle_id)
            return self.json(out.model_dump(mode="json"))

    for suffix, (render, content_type) in FILES.items():
        app.page(f"/cycles/{{cycle_id}}/statement.{suffix}")(
            _statement_file(pool, readers, suffix, render, content_type))

    @app.page("/prepayments")
    class Prepayments(View):
        @refusing
        async def get(self, request: Request) -> Response:
            who = readers.reader(request, Resource.LEDGER)
            rows = [r for r in await (await pool.get()).fetch(
                "SELECT * FROM prepayment_positions ORDER BY account")
                if may_read(who, Resource.LEDGER, account_regions(r["account"]))]
            return self.json([Prepayment(
                account=r["account"], funded_fen=r["funded_fen"], balance_fen=r["balance_fen"],
                warning_line_fen=r["warning_line_fen"],
                status="overdrawn" if r["overdrawn"] else
                "warning" if r["below_warning"] else "ok",
                top_up_requested_fen=r["top_up_requested_fen"]).model_dump() for r in rows])



async def _statement(pool: LazyPool, who: Actor, cycle_id: str) -> Statement:
    """A cycle's statement, once `who` may read the ledger of its two parties."""
    cycle_id = required_text(cycle_id, "cycle_id")
    try:
        parse_cycle_id(cycle_id)
    except ValueError as exc:
        raise BadRequest("invalid_cycle_id", str(exc)) from None
    conn = await pool.get()
    row = await conn.fetchrow("SELECT * FROM cycles WHERE cycle_id=$1", cycle_id)
    if row is None:
        raise BadRequest("unknown_cycle", f"no cycle {cycle_id}", 404)
    allow(who, Resource.LEDGER, (row["region_a"], row["region_b"]))
    lines = [CycleLine(debtor=r["debtor"], creditor=r["creditor"],
                       institution_id=r["institution_id"], settled_fen=r["settled_fen"],
                       refused_fen=r["refused_fen"],
                       amount_fen=r["settled_fen"] - r["refused_fen"])
             for r in await conn.fetch("SELECT * FROM statements WHERE cycle_id=$1"
                                       " ORDER BY debtor, creditor, institution_id", cycle_id)]
    frozen = await conn.fetch("SELECT party, net_fen FROM cycle_nets WHERE cycle_id=$1"
                              " ORDER BY party", cycle_id)
    nets = [PartyNet(party=r["party"], net_fen=r["net_fen"]) for r in frozen] or \
        _nets(row["region_a"], row["region_b"], lines)
    inst: dict[str, int] = {}
    for line in lines:
        inst[line.institution_id] = inst.get(line.institution_id, 0) + line.amount_fen
    return Statement(**_cycle(row).model_dump(), lines=lines, nets=nets, institutions=inst)


def document_of(st: Statement, institution_id: str | None = None) -> Document:
    """The files' document of exactly what the JSON statement says."""
    return statement_document(cycle_id=st.cycle_id, month=st.month, scope=st.scope,
                              status=st.status, lines=st.lines, nets=st.nets,
                              institution_id=institution_id)


def _statement_file(pool: LazyPool, readers: Readers, suffix: str,
                    render: Callable[[Document], bytes], content_type: str) -> type[View]:
    """The view of `/cycles/{id}/statement.<suffix>`: the JSON statement's reader, regions
    and refusals, then its document (optionally one institution's) rendered as a file."""

    class StatementFile(View):
        @refusing
        async def get(self, request: Request, cycle_id: str) -> Response:
            who = readers.reader(request, Resource.LEDGER)
            institution = text(query(request).get("institution_id"), "institution_id",
                               required=False)
            st = await _statement(pool, who, cycle_id)
            if institution is not None and institution not in st.institutions:
                raise BadRequest("unknown_institution", f"institution {institution} has no "
                                 f"line in cycle {st.cycle_id}", 404)
            doc = document_of(st, institution)
            body = await asyncio.to_thread(render, doc)  # a large cycle: off the event loop
            return self.bytes(body, headers={  # a charset is refused in content_type=
                "Content-Type": content_type,
                "Content-Disposition": f'attachment; filename="{doc.stem}.{suffix}"'})

    StatementFile.__name__ = StatementFile.__qualname__ = f"Statement{suffix.title()}"
    return StatementFile


def _cycle(r: Any) -> CycleOut:
    import json
    disputed = r["disputed"]
    return CycleOut(cycle_id=r["cycle_id"], month=r["month"], scope=r["scope"],
                    status=r["status"], confirmed=sorted(set(r["confirmed"])),
                    disputed=json.loads(disputed) if isinstance(disputed, str) else disputed,
                    rolled_into=r["rolled_into"], late_items=r["late_items"])


def _nets(a: str, b: str, lines: list[CycleLine]) -> list[PartyNet]:
    nets = {a: 0, b: 0}
    for line in lines:
        nets[line.creditor] += line.amount_fen
        nets[line.debtor] -= line.amount_fen
    return [PartyNet(party=k, net_fen=v) for k, v in sorted(nets.items())]
