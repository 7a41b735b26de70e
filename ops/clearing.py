"""`wic clearing`: the clearing agency's commands (清算) and its statements.

Commands (`prepay`, `close`, `confirm`, `dispute`, `settle`, `refuse`) are sent to the
clearing service's `POST /commands` as the member of staff the bearer token names
(`--token`, default `$WIC_TOKEN`; `wic users add` prints one locally): the service checks
the role, the region and four-eyes, publishes it and answers within about 10 s — accepted,
or the refusal's reason (exit 1). Reports (`statement`, `prepayments`) read the clearing read
model in PostgreSQL (schema `clearing`); `statement --format csv|xlsx --out FILE` downloads
the statement file from the service as the token's staff member (issue 18 item 4).

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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

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


def _statement_file(args: argparse.Namespace) -> int:
    what = f"wic clearing statement --format {args.format}"
    if args.cycle_id is None or args.month is not None or not args.out:
        print(f"{what}: give CYCLE_ID and --out FILE (one cycle per file)", file=sys.stderr)
        return 2
    if not args.token:
        print(f"{what}: no staff token: give --token or set WIC_TOKEN (a finance, clearing "
              "or auditor role for the cycle's regions)", file=sys.stderr)
        return 2
    try:
        data = download_statement(args.cycle_id, args.format, token=args.token,
                                  institution_id=args.institution)
    except Refused as exc:
        print(f"{what}: refused [{exc.code}] {exc.reason}", file=sys.stderr)
        return 1
    except TimeoutError as exc:
        print(f"{what}: {exc}", file=sys.stderr)
        return 2
    with open(args.out, "wb") as out:
        out.write(data)
    print(f"wrote {args.out} ({len(data)} bytes)")
    return 0


def _accounts(args: argparse.Namespace) -> int:
    what = "wic clearing accounts"
    if not args.token:
        print(f"{what}: no staff token: give --token or set WIC_TOKEN (a finance, clearing "
              "or auditor role)", file=sys.stderr)
        return 2
    try:
        rows = fetch_accounts(token=args.token, kind=args.kind)
    except Refused as exc:
        print(f"{what}: refused [{exc.code}] {exc.reason}", file=sys.stderr)
        return 1
    except TimeoutError as exc:
        print(f"{what}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(rows, ensure_ascii=False, indent=1) if args.json
          else format_accounts(rows))
    return 0


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
