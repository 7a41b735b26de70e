"""The month's result as an agency reads it: clearing statements and prepayment positions.

Rendered from one PostgreSQL schema, so the same text can be produced from the live read
model and from a rebuild of the log: equal text is the proof the demo ends with.
"""

from __future__ import annotations

import asyncpg

from contracts.types import yuan_text
from ops.schemas import ident

NAMES = {"370000": "Shandong", "370100": "Jinan", "370200": "Qingdao", "370300": "Zibo",
         "370500": "Dongying", "370600": "Yantai", "370700": "Weifang", "371400": "Dezhou",
         "320000": "Jiangsu", "320100": "Nanjing", "110000": "Beijing", "130000": "Hebei"}


def yuan(fen: int) -> str:
    return yuan_text(fen, grouped=True)


def region(code: str) -> str:
    return f"{NAMES.get(code, code)} {code}"


async def render(database_url: str, schema: str, months: tuple[str, ...]) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        s = ident(schema)
        lines: list[str] = []
        for month in months:
            cycles = await conn.fetch(f"SELECT * FROM {s}.cycles WHERE month = $1 "
                                      "ORDER BY cycle_id", month)
            lines.append(f"CLEARING STATEMENT {month} ({len(cycles)} cycles)")
            for cycle in cycles:
                lines += await _cycle(conn, s, cycle)
        lines += await _prepayments(conn, s)
        return "\n".join(lines)
    finally:
        await conn.close()


async def claims(database_url: str) -> str:
    """Reimbursement claims with their XM-17 deadlines (working days, PRC calendar)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT * FROM settlement.claims ORDER BY claim_id")
        out = ["REIMBURSEMENT CLAIMS (XM-10/17/19/20)"]
        for r in rows:
            paid = (f"paid {yuan(r['paid_fen'] or 0)} on {r['paid_on']}" if r["paid_on"]
                    else r["status"])
            advance = (f", advance {yuan(r['advance_fen'])} offset, remainder "
                       f"{yuan(r['remainder_fen'] or 0)}" if r["advance_fen"] else "")
            out.append(
                f"  {r['claim_id']}  claimed {yuan(r['claimed_fen']):>10}  complete "
                f"{r['completed_on']} -> review due {r['review_due_on']} (reviewed "
                f"{r['reviewed_on']}) -> payment due {r['payment_due_on']}; {paid} by "
                f"{r['channel']} to {r['payee']}{advance}")
        return "\n".join(out)
    finally:
        await conn.close()


async def benefits(database_url: str) -> str:
    """Benefit payments (XM-21): each run, then each payment with its reversal, if any; the
    one-time claims; and the ledger's fund and payee accounts, which must agree."""
    conn = await asyncpg.connect(database_url)
    try:
        out = ["BENEFITS (XM-21…27): monthly runs"]
        for r in await conn.fetch("SELECT * FROM benefits.runs ORDER BY run_month, run_id"):
            out.append(f"  {r['run_id']:<18} ran {r['ran_on']}: {r['payments']} paid "
                       f"{yuan(r['paid_fen'])}, {r['reversals']} reversed "
                       f"{yuan(r['reversed_fen'])}")
        for p in await conn.fetch("SELECT * FROM benefits.payments ORDER BY benefit_month,"
                                  " revision"):
            gone = f"  reversed in the {p['reversed_in']} run" if p["reversed_by"] else ""
            late = " (arrears)" if p["arrears"] else ""
            out.append(f"    {p['benefit_month']} {p['benefit']:<22} {yuan(p['amount_fen']):>10}"
                       f"  run {p['run_month']}{late}{gone}")
        for c in await conn.fetch("SELECT * FROM benefits.benefit_claims ORDER BY claim_id"):
            out.append(f"  claim {c['claim_id']} {c['kind']}: {c['status']} "
                       f"{yuan(c['paid_fen'] or 0)} to {c['payee']} {c['payee_id']}")
        ledger = await conn.fetch(
            "SELECT account, SUM(amount_fen) AS fen FROM clearing.ledger_entries"
            " WHERE kind LIKE 'benefit_%' GROUP BY account ORDER BY account")
        out.append("  on the ledger: " + ", ".join(f"{r['account']} {yuan(int(r['fen']))}"
                                                   for r in ledger))
        return "\n".join(out)
    finally:
        await conn.close()


async def _cycle(conn: asyncpg.Connection, s: str, cycle: asyncpg.Record) -> list[str]:
    a, b = cycle["region_a"], cycle["region_b"]
    out = [f"  cycle {cycle['cycle_id']}  {region(a)} <-> {region(b)}  "
           f"[{cycle['scope']}, {cycle['status']}"
           + (f", {cycle['late_items']} late" if cycle["late_items"] else "") + "]"]
    rows = await conn.fetch(
        f"SELECT * FROM {s}.statements WHERE cycle_id = $1 "
        "ORDER BY debtor, creditor, institution_id", cycle["cycle_id"])
    for r in rows:
        owed = r["settled_fen"] - r["refused_fen"]
        out.append(f"    {region(r['debtor']):<18} owes via {region(r['creditor']):<18} "
                   f"{r['institution_id']:<12} settled {yuan(r['settled_fen']):>12}  "
                   f"refused {yuan(r['refused_fen']):>10}  net {yuan(owed):>12}")
    nets = await conn.fetch(f"SELECT party, net_fen FROM {s}.cycle_nets WHERE cycle_id = $1 "
                            "ORDER BY party", cycle["cycle_id"])
    if nets:
        parts = ", ".join(f"{region(n['party'])} {'receives' if n['net_fen'] >= 0 else 'pays'}"
                          f" {yuan(abs(n['net_fen']))}" for n in nets)
        out.append(f"    net position: {parts} (sum {yuan(sum(n['net_fen'] for n in nets))})")
    return out


async def _prepayments(conn: asyncpg.Connection, s: str) -> list[str]:
    rows = await conn.fetch(f"SELECT * FROM {s}.prepayment_positions ORDER BY account")
    out = ["PREPAYMENT POSITIONS (SD-FUND-1)"]
    for r in rows:
        status = ("OVERDRAWN" if r["overdrawn"] else
                  "below warning line" if r["below_warning"] else "ok")
        top_up = (f", top-up requested {yuan(r['top_up_requested_fen'])}"
                  if r["top_up_requested_fen"] else "")
        out.append(f"  {r['account']:<24} funded {yuan(r['funded_fen']):>14}  balance "
                   f"{yuan(r['balance_fen']):>14}  warning line {yuan(r['warning_line_fen']):>12}"
                   f"  {status}{top_up}")
    total = await conn.fetchval(f"SELECT COALESCE(SUM(balance_fen), 0) FROM {s}.balances")
    out.append(f"LEDGER: sum of all balances = {yuan(int(total))} (double entry: must be 0.00)")
    return out
