"""`wic clearing`: the clearing agency's commands (清算) and its statements.

Commands (`prepay`, `close`, `confirm`, `dispute`, `settle`, `abort`, `refuse`, and per
settlement `confirm-item`, `dispute-item`, `rollback-item`: national 3261/3262) are sent to the
clearing service's `POST /commands` as the member of staff the bearer token names
(`--token`, default `$WIC_TOKEN`; `wic users add` prints one locally): the service checks
the role, the region and four-eyes, publishes it and answers within about 10 s — accepted,
or the refusal's reason (exit 1). Reports (`statement`, `prepayments`) read the clearing read
model in PostgreSQL (schema `clearing`); `statement --format csv|xlsx --out FILE` downloads
the statement file from the service as the token's staff member (issue 18 item 4); `items`
pages through a cycle's settlements (3260) from the service, as the token's staff member.
`reconcile` sends an institution's totals or detail (3201/3202) with its credential
(`--institution-token`, default `$WIC_INSTITUTION_TOKEN`) and prints the answer.

The functions behind the subcommands are plain async functions with explicit parameters
(`prepay`, `close`, …, `statement_rows`, `format_statement`) so scripts can call them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import asyncpg

from contracts import clearing as c
from contracts.business_time import business_date
from contracts.message import Command
from contracts.settings import Settings, load
from contracts.types import yuan_text
from ops import desk

SCHEMA = "clearing"
TIMEOUT = 10.0
CLEARING_PORT = 18084
SOURCE = "wic-clearing"  # the channel; the person is the token's
Answer = desk.Answer

T = TypeVar("T")


def parse_yuan(text: str) -> int:
    """'1000000.00' yuan → 100000000 fen; refuses more than 2 decimals, negatives, non-numbers."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount in yuan") from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int):
        raise ValueError(f"{text!r} is not an amount in yuan")
    if exponent < -2:
        raise ValueError(f"{text!r} has more than 2 decimals (1 fen = 0.01 yuan)")
    if value < 0:
        raise ValueError(f"{text!r} is negative")
    return int(value * 100)


def yuan(fen: int) -> str:
    """Exact: 12345 → '123.45', -5 → '-0.05', with thousands separators."""
    return yuan_text(fen, grouped=True)


def clearing_url() -> str:
    return os.environ.get("WIC_CLEARING_URL", f"http://127.0.0.1:{CLEARING_PORT}")


async def send_command(settings: Settings, command: Command, *, key: str, on: date, token: str,
                       url: str | None = None, timeout: float = TIMEOUT) -> Answer:
    """Send `command` as the staff member `token` names and return the service's answer
    (TimeoutError if it is not decided within `timeout` seconds)."""
    return await desk.send_command(url or clearing_url(), command, key=key, on=on,
                                   token=token, source=SOURCE, timeout=timeout)


async def prepay(settings: Settings, insured: str, treatment: str, amount_fen: int, on: date,
                 *, prepayment_id: str | None = None, token: str) -> Answer:
    """SD-FUND-1. The default id makes the same prepayment told twice a no-op."""
    pid = prepayment_id or f"PP-{insured}@{treatment}-{on:%Y%m%d}-{amount_fen}"
    cmd = c.FundPrepayment(prepayment_id=pid, insured_province=insured,
                           treatment_province=treatment, amount_fen=amount_fen, funded_on=on)
    return await send_command(settings, cmd, key=f"{insured}|{treatment}", on=on,
                              token=token)


async def open_cycles(database_url: str, month: str) -> list[str]:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    try:
        rows = await conn.fetch("SELECT cycle_id FROM cycles WHERE month=$1 AND status='open'"
                                " ORDER BY cycle_id", month)
    finally:
        await conn.close()
    return [r["cycle_id"] for r in rows]


async def close(settings: Settings, month: str, on: date, pair: tuple[str, str] | None = None,
                *, token: str) -> dict[str, Answer]:
    """SD-FUND-2: close one pair's cycle of `month`, or every open cycle of the month."""
    ids = [c.cycle_id(month, *pair)] if pair else await open_cycles(settings.database_url,
                                                                     month)
    return {cid: await send_command(settings, c.CloseCycle(cycle_id=cid, closed_on=on),
                                    key=cid, on=on, token=token)
            for cid in ids}


async def confirm(settings: Settings, cycle_id: str, region: str, on: date,
                  *, token: str) -> Answer:
    cmd = c.ConfirmCycle(cycle_id=cycle_id, region=region, confirmed_on=on)
    return await send_command(settings, cmd, key=cycle_id, on=on,
                              token=token)


async def dispute(settings: Settings, cycle_id: str, region: str, reason: str, on: date,
                  *, token: str) -> Answer:
    cmd = c.DisputeCycle(cycle_id=cycle_id, region=region, reason=reason, disputed_on=on)
    return await send_command(settings, cmd, key=cycle_id, on=on,
                              token=token)


async def settle(settings: Settings, cycle_id: str, on: date, *, token: str
                 ) -> Answer:
    cmd = c.SettleCycle(cycle_id=cycle_id, settled_on=on)
    return await send_command(settings, cmd, key=cycle_id, on=on,
                              token=token)


async def abort(settings: Settings, cycle_id: str, reason: str, on: date, *, token: str
                ) -> Answer:
    """SD-FUND-2: a closed cycle that will not settle rolls into the next open one."""
    cmd = c.AbortCycle(cycle_id=cycle_id, reason=reason, aborted_on=on)
    return await send_command(settings, cmd, key=cycle_id, on=on, token=token)


async def confirm_item(settings: Settings, cycle_id: str, settlement_id: str, region: str,
                       on: date, *, token: str) -> Answer:
    """3261: the region confirms one settlement of a closed cycle."""
    cmd = c.ConfirmCycleItem(cycle_id=cycle_id, settlement_id=settlement_id, region=region,
                             confirmed_on=on)
    return await send_command(settings, cmd, key=cycle_id, on=on, token=token)


async def dispute_item(settings: Settings, cycle_id: str, settlement_id: str, region: str,
                       reason: str, on: date, *, token: str) -> Answer:
    """3261 (dispute): the cycle cannot settle while it is open."""
    cmd = c.DisputeCycleItem(cycle_id=cycle_id, settlement_id=settlement_id, region=region,
                             reason=reason, disputed_on=on)
    return await send_command(settings, cmd, key=cycle_id, on=on, token=token)


async def rollback_item(settings: Settings, cycle_id: str, settlement_id: str, region: str,
                        on: date, *, reason: str = "", token: str) -> Answer:
    """3262: withdraw the region's confirmation of one settlement, before settlement."""
    cmd = c.RollBackCycleItem(cycle_id=cycle_id, settlement_id=settlement_id, region=region,
                              reason=reason, rolled_back_on=on)
    return await send_command(settings, cmd, key=cycle_id, on=on, token=token)


def cycle_items(cycle_id: str, *, token: str, limit: int = 100, offset: int = 0,
                institution_id: str | None = None, url: str | None = None) -> dict[str, Any]:
    """3260: one page of a cycle's settlements from `GET /cycles/{id}/items`, read as the
    staff member `token` names; `Refused` otherwise."""
    q: dict[str, Any] = {"limit": limit, "offset": offset}
    if institution_id is not None:
        q["institution_id"] = institution_id
    target = f"{url or clearing_url()}/cycles/{urllib.parse.quote(cycle_id, safe=':')}" \
             f"/items?{urllib.parse.urlencode(q)}"
    status, body = desk.request(target, token)
    if status != 200:
        raise Refused(status, str(body.get("reason_code", f"http_{status}")),
                      str(body.get("reason", "")))
    return dict(body)


def format_items(page: dict[str, Any]) -> str:
    """A page of items: amounts in yuan, each region's word (✓ confirmed, ✗ disputed)."""
    head = (f"cycle {page['cycle_id']} ({page['status']}): items {page['offset'] + 1}–"
            f"{page['offset'] + len(page['items'])} of {page['total']}")
    if page["disputed"]:
        head += f"; disputed: {', '.join(page['disputed'])}"
    rows = [head, f"  {'settlement':<28}{'institution':<16}{'amount':>16}  marks"]
    for it in page["items"]:
        marks = "  ".join(f"{r} {'✓' if m['status'] == 'confirmed' else '✗ ' + m['reason']}"
                          for r, m in sorted(it["marks"].items()))
        rows.append(f"  {it['settlement_id']:<28}{it['institution_id']:<16}"
                    f"{yuan(it['amount_fen']):>16}  {marks}")
    if page["next_offset"] is not None:
        rows.append(f"  (more: --offset {page['next_offset']})")
    return "\n".join(rows)


def reconcile(institution_token: str, request: dict[str, Any], *, url: str | None = None,
              timeout: float = 20.0) -> tuple[int, dict[str, Any]]:
    """3201/3202: POST an institution's `ReconcileInstitution` body (institution_id may be
    left out) with its credential; (HTTP status, answer or refusal body)."""
    status, body = desk.request(f"{url or clearing_url()}/reconciliation", institution_token,
                                json.dumps(request).encode(), timeout)
    return status, dict(body)


def format_reconciliation(answer: dict[str, Any]) -> str:
    """The answer: result, both sides' figures, then each settlement that differs."""
    w, i, sc = answer["wic"], answer["institution"], answer["scope"]
    scope = sc.get("cycle_id") or f"{sc['from_date']}..{sc['to_date']}"
    rows = [f"{answer['transaction']} {answer['institution_id']} {scope}: "
            f"{answer['result'].upper()}",
            f"  {'':<12}{'count':>8}{'medical (yuan)':>20}{'fund (yuan)':>20}",
            f"  {'wic':<12}{w['settlement_count']:>8}{yuan(w['medical_fen']):>20}"
            f"{yuan(w['fund_fen']):>20}",
            f"  {'institution':<12}{i['settlement_count']:>8}{yuan(i['medical_fen']):>20}"
            f"{yuan(i['fund_fen']):>20}"]
    for d in answer.get("differences", []):
        rows.append(f"  {d['settlement_id']:<28}{', '.join(d['reasons'])}")
    return "\n".join(rows)


async def refuse(settings: Settings, settlement_id: str, amount_fen: int, reason: str, on: date,
                 *, reason_code: str = "audit_refusal", refusal_id: str | None = None,
                 token: str) -> Answer:
    """SD-FUND-3 (拒付). The default id makes the same refusal told twice a no-op."""
    rid = refusal_id or f"RF-{settlement_id}-{on:%Y%m%d}-{amount_fen}"
    cmd = c.RefuseItems(refusal_id=rid, settlement_id=settlement_id, amount_fen=amount_fen,
                        reason_code=reason_code, reason=reason, refused_on=on)
    return await send_command(settings, cmd, key="clearing", on=on,
                              token=token)


# ---- reports from the read model ----

@dataclass(frozen=True)
class CycleStatement:
    cycle_id: str
    scope: str
    status: str
    confirmed: tuple[str, ...]
    disputed: dict[str, str]
    lines: tuple[c.CycleLine, ...]
    nets: dict[str, int] = field(default_factory=dict)  # region → receives (>0) / pays (<0)


async def statement_rows(database_url: str, cycle_id: str | None = None,
                         month: str | None = None) -> list[CycleStatement]:
    """One cycle's statement, or every cycle of a month. Nets are the frozen ones once
    closed, else computed from the lines (the creditor receives, the debtor pays)."""
    if (cycle_id is None) == (month is None):
        raise ValueError("give a cycle id or a month, not both")
    conn = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    try:
        cycles = await conn.fetch("SELECT * FROM cycles WHERE cycle_id=$1 OR month=$2"
                                  " ORDER BY cycle_id", cycle_id, month)
        out = []
        for cy in cycles:
            cid = cy["cycle_id"]
            lines = tuple(c.CycleLine(
                debtor=r["debtor"], creditor=r["creditor"], institution_id=r["institution_id"],
                settled_fen=r["settled_fen"], refused_fen=r["refused_fen"],
                amount_fen=r["settled_fen"] - r["refused_fen"])
                for r in await conn.fetch("SELECT * FROM statements WHERE cycle_id=$1 ORDER BY"
                                          " debtor, creditor, institution_id", cid))
            nets = {r["party"]: r["net_fen"] for r in await conn.fetch(
                "SELECT party, net_fen FROM cycle_nets WHERE cycle_id=$1 ORDER BY party", cid)}
            if not nets:
                nets = {cy["region_a"]: 0, cy["region_b"]: 0}
                for line in lines:
                    nets[line.creditor] += line.amount_fen
                    nets[line.debtor] -= line.amount_fen
            disputed = cy["disputed"]
            out.append(CycleStatement(
                cycle_id=cid, scope=cy["scope"], status=cy["status"],
                confirmed=tuple(sorted(set(cy["confirmed"]))),
                disputed=json.loads(disputed) if isinstance(disputed, str) else dict(disputed),
                lines=lines, nets=dict(sorted(nets.items()))))
    finally:
        await conn.close()
    return out


def format_statement(statements: list[CycleStatement]) -> str:
    """Per cycle: nets per region, then lines per institution; amounts in yuan (2 decimals)."""
    if not statements:
        return "no cycles"
    blocks = []
    for st in statements:
        head = f"cycle {st.cycle_id}  ({st.scope}, {st.status}"
        head += f"; confirmed by {', '.join(st.confirmed)}" if st.confirmed else ""
        head += "".join(f"; disputed by {r}: {why}" for r, why in st.disputed.items()) + ")"
        rows = [head, f"  {'region':<14}{'net (yuan)':>18}   "]
        rows += [f"  {r:<14}{yuan(n):>18}   {'receives' if n > 0 else 'pays' if n < 0 else ''}"
                 for r, n in st.nets.items()]
        rows.append(f"  {'institution':<16}{'debtor→creditor':<17}{'settled':>16}"
                    f"{'refused':>14}{'amount':>16}")
        for ln in st.lines:
            rows.append(f"  {ln.institution_id:<16}{ln.debtor + '→' + ln.creditor:<17}"
                        f"{yuan(ln.settled_fen):>16}{yuan(ln.refused_fen):>14}"
                        f"{yuan(ln.amount_fen):>16}")
        total = sum(ln.amount_fen for ln in st.lines)
        rows.append(f"  {'total':<33}{yuan(sum(ln.settled_fen for ln in st.lines)):>16}"
                    f"{yuan(sum(ln.refused_fen for ln in st.lines)):>14}{yuan(total):>16}")
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks)


FILE_FORMATS = ("csv", "xlsx")


class Refused(Exception):
    """The service refused a read: HTTP status, reason code, reason."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(f"{status} {code}: {reason}")
        self.status, self.code, self.reason = status, code, reason


def download_statement(cycle_id: str, fmt: str, *, token: str, institution_id: str | None = None,
                       url: str | None = None, timeout: float = 30.0) -> bytes:
    """A cycle's statement file (issue 18 item 4) from the clearing service's
    `GET /cycles/{id}/statement.<fmt>`, read as the staff member `token` names — the same
    roles and regions as the JSON statement; `Refused` otherwise."""
    if fmt not in FILE_FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FILE_FORMATS)}")
    target = f"{url or clearing_url()}/cycles/{urllib.parse.quote(cycle_id, safe=':')}" \
             f"/statement.{fmt}"
    if institution_id is not None:
        target += "?" + urllib.parse.urlencode({"institution_id": institution_id})
    req = urllib.request.Request(target, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return bytes(resp.read())
    except urllib.error.HTTPError as err:
        try:
            body = json.loads(err.read() or b"{}")
        except ValueError:
            body = {}
        raise Refused(err.code, str(body.get("reason_code", f"http_{err.code}")),
                      str(body.get("reason", err.reason))) from None
    except (urllib.error.URLError, OSError) as exc:
        raise TimeoutError(f"cannot reach the clearing service at {target}: {exc}") from None


def fetch_accounts(*, token: str, kind: str | None = None, page_size: int = 500,
                   url: str | None = None, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Every account the staff member `token` names may read, with its balance, from the
    clearing service's `GET /accounts` (issue 18 item 6.4), page after page; `Refused`
    without a ledger role."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": str(page_size), **({"kind": kind} if kind else {}),
                  **({"cursor": cursor} if cursor else {})}
        _, page = desk_read(f"{url or clearing_url()}/accounts?"
                            + urllib.parse.urlencode(params), token, timeout)
        rows += page["accounts"]
        cursor = page.get("next_cursor")
        if not cursor:
            return rows


def desk_read(target: str, token: str, timeout: float) -> tuple[int, Any]:
    """GET `target` as `token`: (status, JSON); `Refused` for a 4xx/5xx with its code."""
    status, body = desk.request(target, token, timeout=timeout)
    if status >= 400:
        raise Refused(status, str(body.get("reason_code", f"http_{status}")),
                      str(body.get("reason", "")))
    return status, body


def format_accounts(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no accounts"
    width = max(28, *(len(r["account"]) + 2 for r in rows))
    out = [f"{'account':<{width}}{'balance (yuan)':>20}"]
    out += [f"{r['account']:<{width}}{yuan(r['balance_fen']):>20}" for r in rows]
    out.append(f"{'total (' + str(len(rows)) + ' accounts)':<{width}}"
               f"{yuan(sum(r['balance_fen'] for r in rows)):>20}")
    return "\n".join(out)


async def prepayment_rows(database_url: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    try:
        rows = await conn.fetch("SELECT * FROM prepayment_positions ORDER BY account")
    finally:
        await conn.close()
    return [{**dict(r), "status": "overdrawn" if r["overdrawn"] else
             "warning" if r["below_warning"] else "ok"} for r in rows]


def format_prepayments(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no prepayments"
    out = [f"{'account':<28}{'funded':>18}{'balance':>18}{'warning line':>18}  status"
           f"{'top-up requested':>20}"]
    out += [f"{r['account']:<28}{yuan(r['funded_fen']):>18}{yuan(r['balance_fen']):>18}"
            f"{yuan(r['warning_line_fen']):>18}  {r['status']:<9}"
            f"{yuan(r['top_up_requested_fen']) if r['top_up_requested_fen'] else '':>17}"
            for r in rows]
    return "\n".join(out)


# ---- argparse wiring ----

def _today() -> date:
    return business_date(datetime.now(UTC))  # the CLI is the edge: a default business date


def _yuan_arg(text: str) -> int:
    try:
        return parse_yuan(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _pair(text: str) -> tuple[str, str]:
    a, sep, b = text.partition(":")
    if not sep or not (a.isdigit() and b.isdigit() and len(a) == len(b) == 6):
        raise argparse.ArgumentTypeError(f"{text!r} is not REGION:REGION (e.g. 370100:370200)")
    return a, b


def month_arg(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month YYYY-MM")
    return text


def _run(args: argparse.Namespace) -> int:
    settings = load()
    src = args.token
    if not src:
        print(f"wic clearing {args.clearing_command}: no staff token: give --token or set "
              "WIC_TOKEN (locally: `wic users add NAME --role clearing_officer --region …`)",
              file=sys.stderr)
        return 2
    try:
        match args.clearing_command:
            case "prepay":
                return desk.report(asyncio.run(prepay(
                    settings, args.insured, args.treatment, args.amount_yuan, args.on,
                    prepayment_id=args.id, token=src)), "prepayment")
            case "close":
                answers = asyncio.run(close(settings, args.month, args.on, args.pair,
                                            token=src))
                if not answers:
                    print(f"no open cycle in {args.month}")
                return max([desk.report(a, f"close {cid}") for cid, a in answers.items()],
                           default=0)
            case "confirm":
                return desk.report(asyncio.run(confirm(settings, args.cycle_id, args.region,
                                                   args.on, token=src)), "confirm")
            case "dispute":
                return desk.report(asyncio.run(dispute(settings, args.cycle_id, args.region,
                                                   args.reason, args.on, token=src)), "dispute")
            case "settle":
                return desk.report(asyncio.run(settle(settings, args.cycle_id, args.on,
                                                  token=src)), "settle")
            case "abort":
                return desk.report(asyncio.run(abort(settings, args.cycle_id, args.reason,
                                                 args.on, token=src)), "abort")
            case "confirm-item":
                return desk.report(asyncio.run(confirm_item(
                    settings, args.cycle_id, args.settlement_id, args.region, args.on,
                    token=src)), f"confirm {args.settlement_id}")
            case "dispute-item":
                return desk.report(asyncio.run(dispute_item(
                    settings, args.cycle_id, args.settlement_id, args.region, args.reason,
                    args.on, token=src)), f"dispute {args.settlement_id}")
            case "rollback-item":
                return desk.report(asyncio.run(rollback_item(
                    settings, args.cycle_id, args.settlement_id, args.region, args.on,
                    reason=args.reason, token=src)), f"roll back {args.settlement_id}")
            case "refuse":
                return desk.report(asyncio.run(refuse(
                    settings, args.settlement_id, args.amount_yuan, args.reason, args.on,
                    reason_code=args.code, refusal_id=args.id, token=src)), "refusal")
    except TimeoutError as exc:
        print(f"wic clearing {args.clearing_command}: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(args.clearing_command)


def _statement(args: argparse.Namespace) -> int:
    if args.format != "text":
        return _statement_file(args)
    if (args.cycle_id is None) == (args.month is None):
        print("wic clearing statement: give CYCLE_ID or --month", file=sys.stderr)
        return 2
    rows = asyncio.run(statement_rows(load().database_url, args.cycle_id, args.month))
    print(format_statement(rows))
    return 0 if rows else 1


class _Stop(Exception):
    """A read command's refusal or time-out, already told on stderr: its exit code."""

    def __init__(self, code: int) -> None:
        self.code = code


def _staff_read(what: str, token: str | None, roles: str, call: Callable[[str], T]) -> T:
    """`call(token)` for a command that reads the clearing service as a staff member: no
    token, a refusal (exit 1) or a time-out (exit 2) is said once, here, the same way."""
    if not token:
        print(f"{what}: no staff token: give --token or set WIC_TOKEN{roles}", file=sys.stderr)
        raise _Stop(2)
    try:
        return call(token)
    except Refused as exc:
        print(f"{what}: refused [{exc.code}] {exc.reason}", file=sys.stderr)
        raise _Stop(1) from None
    except TimeoutError as exc:
        print(f"{what}: {exc}", file=sys.stderr)
        raise _Stop(2) from None


def _stops(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except _Stop as stop:
            return stop.code
    return run


@_stops
def _statement_file(args: argparse.Namespace) -> int:
    what = f"wic clearing statement --format {args.format}"
    if args.cycle_id is None or args.month is not None or not args.out:
        print(f"{what}: give CYCLE_ID and --out FILE (one cycle per file)", file=sys.stderr)
        return 2
    data = _staff_read(what, args.token, " (a finance, clearing or auditor role for the "
                       "cycle's regions)", lambda token: download_statement(
                           args.cycle_id, args.format, token=token,
                           institution_id=args.institution))
    with open(args.out, "wb") as out:
        out.write(data)
    print(f"wrote {args.out} ({len(data)} bytes)")
    return 0


@_stops
def _accounts(args: argparse.Namespace) -> int:
    rows = _staff_read("wic clearing accounts", args.token,
                       " (a finance, clearing or auditor role)",
                       lambda token: fetch_accounts(token=token, kind=args.kind))
    print(json.dumps(rows, ensure_ascii=False, indent=1) if args.json
          else format_accounts(rows))
    return 0


@_stops
def _items(args: argparse.Namespace) -> int:
    page = _staff_read("wic clearing items", args.token, "", lambda token: cycle_items(
        args.cycle_id, token=token, limit=args.limit, offset=args.offset,
        institution_id=args.institution))
    print(json.dumps(page, ensure_ascii=False, indent=2) if args.json else format_items(page))
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    what = "wic clearing reconcile"
    if not args.institution_token:
        print(f"{what}: no institution credential: give --institution-token or set "
              "WIC_INSTITUTION_TOKEN", file=sys.stderr)
        return 2
    if (args.cycle is None) == (args.period is None):
        print(f"{what}: give --cycle CYCLE_ID or --from DATE --to DATE", file=sys.stderr)
        return 2
    scope = ({"cycle_id": args.cycle} if args.cycle else
             {"from_date": args.period[0].isoformat(), "to_date": args.period[1].isoformat()})
    request_id = args.request_id or f"wic-{datetime.now(UTC):%Y%m%d%H%M%S}"
    body: dict[str, Any] = {"request_id": request_id, "scope": scope}
    if args.items:
        with open(args.items, encoding="utf-8") as f:
            items = json.load(f)
        body["items"] = items
        body["totals"] = {"settlement_count": len(items),
                          "medical_fen": sum(int(i["medical_fen"]) for i in items),
                          "fund_fen": sum(int(i["fund_fen"]) for i in items)}
    else:
        body["totals"] = {"settlement_count": args.count, "medical_fen": args.medical_yuan,
                          "fund_fen": args.fund_yuan}
    try:
        status, answer = reconcile(args.institution_token, body)
    except TimeoutError as exc:
        print(f"{what}: {exc}", file=sys.stderr)
        return 2
    if status != 200:
        print(f"{what}: refused [{answer.get('reason_code', status)}] "
              f"{answer.get('reason', '')}", file=sys.stderr)
        return 1 if status < 500 else 2
    print(json.dumps(answer, ensure_ascii=False, indent=2) if args.json
          else format_reconciliation(answer))
    return 0 if answer["result"] == "match" else 3


def _reconcile_args(args: argparse.Namespace) -> int:
    if (args.date_from is None) != (args.date_to is None):
        print("wic clearing reconcile: give both --from and --to", file=sys.stderr)
        return 2
    args.period = (args.date_from, args.date_to) if args.date_from else None
    return _reconcile(args)


def _prepayments(args: argparse.Namespace) -> int:
    rows = asyncio.run(prepayment_rows(load().database_url))
    if args.warnings:
        rows = [r for r in rows if r["status"] != "ok"]
    print(format_prepayments(rows))
    return 0


_HELP: dict[str, tuple[str, str]] = {
    "prepay": ("SD-FUND-1: the insured province pays a prepayment held at the treatment province",
               "wic clearing prepay --insured 370000 --treatment 110000 "
               "--amount-yuan 1000000.00 --on 2024-04-01"),
    "close": ("SD-FUND-2: close a month's cycle of one pair, or every open cycle of the month",
              "wic clearing close --month 2024-05 --pair 370100:370200 --on 2024-06-01\n"
              "  wic clearing close --month 2024-05"),
    "confirm": ("SD-FUND-2: a region confirms a closed cycle",
                "wic clearing confirm '2024-05:370100|370200' --region 370100"),
    "dispute": ("SD-FUND-2: a region disputes a closed cycle (it can then be aborted)",
                "wic clearing dispute '2024-05:370100|370200' --region 370200 "
                "--reason 'H37020200001 line not ours'"),
    "settle": ("SD-FUND-2: move the funds of a cycle confirmed by both regions",
               "wic clearing settle '2024-05:370100|370200' --on 2024-06-05"),
    "abort": ("SD-FUND-2: a closed cycle that will not settle rolls into the next open cycle",
              "wic clearing abort '2024-05:370100|370200' --reason 'S-17 disputed'"),
    "items": ("national 3260: a cycle's settlements, paged, with each region's confirmation "
              "or dispute (from the clearing service, --token)",
              "wic clearing items '2024-05:370100|370200' --limit 50 --offset 0"),
    "confirm-item": ("national 3261: a region confirms one settlement of a closed cycle",
                     "wic clearing confirm-item '2024-05:370100|370200' S-17 "
                     "--region 370100"),
    "dispute-item": ("national 3261: a region disputes one settlement (the cycle cannot "
                     "settle while it is open)", "wic clearing dispute-item "
                     "'2024-05:370100|370200' S-17 --region 370100 --reason '非本地参保'"),
    "rollback-item": ("national 3262: withdraw a region's confirmation of one settlement, "
                      "until the cycle settles", "wic clearing rollback-item "
                      "'2024-05:370100|370200' S-17 --region 370100"),
    "reconcile": ("national 3201/3202: an institution reconciles a period or a cycle with "
                  "its credential (exit 0 match, 3 mismatch)",
                  "wic clearing reconcile --from 2024-05-01 --to 2024-05-31 --count 2 "
                  "--medical-yuan 350.00 --fund-yuan 250.00\n"
                  "  wic clearing reconcile --cycle '2024-05:370100|370200' --items ours.json"),
    "refuse": ("SD-FUND-3 (拒付): refuse part of a settlement; it flows back in the next cycle",
               "wic clearing refuse S-123 --amount-yuan 120.50 --code not_injury_related "
               "--reason 'SD-ENC-5: unrelated illness'"),
    "statement": ("a cycle's statement per region and per institution (yuan), from the read "
                  "model; or as a CSV / XLSX file from the clearing service (--format, --out,"
                  " --token)", "wic clearing statement '2024-05:370100|370200'\n"
                  "  wic clearing statement --month 2024-05\n"
                  "  wic clearing statement '2024-05:370100|370200' --format xlsx "
                  "--out 2024-05.xlsx"),
    "prepayments": ("prepayment positions: balance, warning line, status, top-up requested",
                    "wic clearing prepayments --warnings"),
    "accounts": ("the ledger's accounts and their balances (yuan), those the token's staff "
                 "member may read, from the clearing service's GET /accounts",
                 "wic clearing accounts --token $T --kind fund"),
}


def _sub(sub: Any, name: str, command: bool = True) -> argparse.ArgumentParser:
    description, example = _HELP[name]
    p: argparse.ArgumentParser = sub.add_parser(
        name, help=description.split(": ", 1)[-1] if description.startswith("SD-")
        else description, description=description,
        epilog=f"example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter)
    if command:
        p.add_argument("--on", type=date.fromisoformat, default=_today(),
                       help="business date (YYYY-MM-DD; default: today in China)")
        p.add_argument("--token", default=os.environ.get("WIC_TOKEN"),
                       help="the staff bearer token (default $WIC_TOKEN); who sends it is "
                       "who the token names")
        p.set_defaults(func=_run)
    return p


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "clearing", help="clearing (清算): prepayments, cycles, refusals, statements",
        description="Send clearing commands (answer awaited up to 10 s; exit 1 if rejected) "
        "and print statements from the clearing read model.",
        epilog="examples:\n  " + "\n  ".join(_HELP[n][1].split("\n")[0] for n in _HELP),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="clearing_command", metavar="SUBCOMMAND", required=True)
    pp = _sub(sub, "prepay")
    pp.add_argument("--insured", required=True, help="insured province (e.g. 370000)")
    pp.add_argument("--treatment", required=True, help="treatment province (e.g. 110000)")
    pp.add_argument("--amount-yuan", required=True, type=_yuan_arg, help="e.g. 1000000.00")
    pp.add_argument("--id", help="prepayment id (default: derived, so a repeat is a no-op)")
    cl = _sub(sub, "close")
    cl.add_argument("--month", required=True, type=month_arg, help="YYYY-MM")
    cl.add_argument("--pair", type=_pair, help="REGION:REGION (default: all open cycles)")
    for name in ("confirm", "dispute"):
        q = _sub(sub, name)
        q.add_argument("cycle_id", metavar="CYCLE_ID", help="<YYYY-MM>:<region>|<region>")
        q.add_argument("--region", required=True, help="the confirming/disputing region")
        if name == "dispute":
            q.add_argument("--reason", required=True)
    st = _sub(sub, "settle")
    st.add_argument("cycle_id", metavar="CYCLE_ID")
    ab = _sub(sub, "abort")
    ab.add_argument("cycle_id", metavar="CYCLE_ID")
    ab.add_argument("--reason", required=True, help="why it will not settle")
    for name in ("confirm-item", "dispute-item", "rollback-item"):
        q = _sub(sub, name)
        q.add_argument("cycle_id", metavar="CYCLE_ID")
        q.add_argument("settlement_id", metavar="SETTLEMENT_ID")
        q.add_argument("--region", required=True, help="the region giving its word")
        q.add_argument("--reason", required=name == "dispute-item",
                       default="", help="why (required for a dispute)")
    it = _sub(sub, "items", command=False)
    it.add_argument("cycle_id", metavar="CYCLE_ID")
    it.add_argument("--limit", type=int, default=100, help="items per page (≤ 1000)")
    it.add_argument("--offset", type=int, default=0)
    it.add_argument("--institution", metavar="ID", help="only this institution's items")
    it.add_argument("--json", action="store_true", help="the service's JSON page")
    it.add_argument("--token", default=os.environ.get("WIC_TOKEN"),
                    help="the staff bearer token (default $WIC_TOKEN)")
    it.set_defaults(func=_items)
    rc = _sub(sub, "reconcile", command=False)
    rc.add_argument("--cycle", metavar="CYCLE_ID", help="reconcile one clearing cycle")
    rc.add_argument("--from", dest="date_from", type=date.fromisoformat, metavar="DATE")
    rc.add_argument("--to", dest="date_to", type=date.fromisoformat, metavar="DATE")
    rc.add_argument("--count", type=int, default=0, help="3201: number of settlements")
    rc.add_argument("--medical-yuan", type=_yuan_arg, default=0, help="3201: medical total")
    rc.add_argument("--fund-yuan", type=_yuan_arg, default=0, help="3201: fund total")
    rc.add_argument("--items", metavar="FILE", help="3202: JSON list of {settlement_id, "
                    "medical_fen, fund_fen} (totals are their sums)")
    rc.add_argument("--request-id", help="the institution's own request id")
    rc.add_argument("--json", action="store_true", help="the service's JSON answer")
    rc.add_argument("--institution-token", default=os.environ.get("WIC_INSTITUTION_TOKEN"),
                    help="the institution's credential (default $WIC_INSTITUTION_TOKEN)")
    rc.set_defaults(func=_reconcile_args)
    rf = _sub(sub, "refuse")
    rf.add_argument("settlement_id", metavar="SETTLEMENT_ID")
    rf.add_argument("--amount-yuan", required=True, type=_yuan_arg, help="refused amount")
    rf.add_argument("--reason", required=True, help="why (shown to the treatment side)")
    rf.add_argument("--code", default="audit_refusal", help="reason code (default audit_refusal)")
    rf.add_argument("--id", help="refusal id (default: derived, so a repeat is a no-op)")
    sm = _sub(sub, "statement", command=False)
    sm.add_argument("cycle_id", metavar="CYCLE_ID", nargs="?")
    sm.add_argument("--month", type=month_arg, help="YYYY-MM: every cycle of the month")
    sm.add_argument("--format", choices=("text", *FILE_FORMATS), default="text",
                    help="text (default, from the read model) or a file from the service")
    sm.add_argument("--out", metavar="FILE", help="where to write the csv/xlsx file")
    sm.add_argument("--institution", metavar="ID", help="only this institution's lines")
    sm.add_argument("--token", default=os.environ.get("WIC_TOKEN"),
                    help="for --format csv/xlsx: the staff bearer token (default $WIC_TOKEN)")
    sm.set_defaults(func=_statement)
    pr = _sub(sub, "prepayments", command=False)
    pr.add_argument("--warnings", action="store_true", help="only warning / overdrawn ones")
    pr.set_defaults(func=_prepayments)
    ac = _sub(sub, "accounts", command=False)
    ac.add_argument("--kind", help="only accounts of this kind (fund, prepayment, "
                    "institution, employer, …)")
    ac.add_argument("--json", action="store_true", help="the rows as JSON")
    ac.add_argument("--token", default=os.environ.get("WIC_TOKEN"),
                    help="the staff bearer token (default $WIC_TOKEN)")
    ac.set_defaults(func=_accounts)
