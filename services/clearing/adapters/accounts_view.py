"""`GET /accounts` (issue 18 item 6.4): the ledger's accounts with their balances, paged,
filtered to what the reader may read.

Like every list (contracts.read_authority): the LEDGER roles read it, and a row is shown
only when the reader may read that account — an account naming regions (`fund:<city>`,
`bank:`/`agency:<region>`, `prepayment:<P>@<T>`) to staff of one of them, an account of no
region (an institution's, an employer's) by role alone. Balances are the current ones
(`balances`, folded from every ledger entry); `GET /accounts/{account}/balance` answers as
of an instant or a ledger offset. Paging is by account name (`cursor` = the last account
of the previous page), so a page never skips or repeats a row while postings go on.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View
from pydantic import BaseModel

from contracts.read_authority import Resource, account_regions, may_read
from contracts.runtime.http import integer, param, query, refusing, responses, text
from contracts.runtime.pool import LazyPool
from contracts.runtime.reads import Readers

DEFAULT_LIMIT, MAX_LIMIT = 100, 500
_SCAN = 500  # rows read at a time while filtering a page to the reader's regions
_PAGE = ("SELECT account, balance_fen, last_seq FROM balances"
         " WHERE ($1::text IS NULL OR account > $1)"
         " AND ($2::text IS NULL OR split_part(account, ':', 1) = $2)"
         " ORDER BY account LIMIT $3")


class AccountRow(BaseModel):
    account: str
    kind: str  # fund | bank | agency | prepayment | institution | employer | …
    regions: list[str]  # the regions the account names (empty: none)
    balance_fen: int
    last_seq: int  # the ledger position of its latest entry


class AccountsPage(BaseModel):
    accounts: list[AccountRow]
    next_cursor: str | None  # pass as `cursor` for the next page; None: the last page


def row(r: Any) -> AccountRow:
    account = str(r["account"])
    return AccountRow(account=account, kind=account.partition(":")[0],
                      regions=list(account_regions(account) or ()),
                      balance_fen=int(r["balance_fen"]), last_seq=int(r["last_seq"]))


def register(app: faust.App, pool: LazyPool, readers: Readers) -> None:
    @app.page("/accounts")
    class Accounts(View):
        @refusing
        async def get(self, request: Request) -> Response:
            who = readers.reader(request, Resource.LEDGER)
            q = query(request)
            limit = integer(q.get("limit"), "limit", lo=1, hi=MAX_LIMIT) or DEFAULT_LIMIT
            kind = text(q.get("kind"), "kind", required=False, max_len=40)
            after = text(q.get("cursor"), "cursor", required=False, max_len=200)
            shown: list[AccountRow] = []
            conn = await pool.get()
            while len(shown) <= limit:
                rows = await conn.fetch(_PAGE, after, kind, _SCAN)
                shown += [row(r) for r in rows
                          if may_read(who, Resource.LEDGER, account_regions(r["account"]))]
                if len(rows) < _SCAN:
                    break
                after = rows[-1]["account"]
            page = shown[:limit]
            more = len(shown) > limit
            return self.json(AccountsPage(
                accounts=page, next_cursor=page[-1].account if more else None).model_dump())


def openapi_paths() -> dict[str, Any]:
    return {"/accounts": {"get": {
        "summary": "The ledger's accounts with their current balances, paged by account "
                   "name, only those the reader may read (their regions; by role for an "
                   "account of no region)",
        "parameters": [
            param("kind", "query", "account kind: the part before ':' (fund, prepayment, "
                  "institution, …)", required=False),
            param("limit", "query", f"1..{MAX_LIMIT}, default {DEFAULT_LIMIT}",
                  required=False, kind="integer"),
            param("cursor", "query", "next_cursor of the previous page", required=False)],
        "responses": responses(AccountsPage, 400, description="one page")}}}
