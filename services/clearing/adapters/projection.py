"""Read model of `clearing-events`: entries by ledger position, balances, cycles, statements,
prepayment positions. Rows and offsets commit together (ProjectionRunner); an event already
applied (same ledger_seq / event_id) is skipped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from contracts import clearing as c
from contracts import wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.topics import CLEARING_EVENTS, Topic
from services.clearing.domain import cycles

TABLES = ["ledger_events", "ledger_entries", "balances", "cycles", "statements", "cycle_nets",
          "prepayment_positions"]


async def _entries(conn: asyncpg.Connection, seq: int, env: Envelope[Message],
                   entries: tuple[c.Entry, ...], kind: str, day: object, cid: str | None) -> None:
    for leg, e in enumerate(entries):
        await conn.execute(
            "INSERT INTO ledger_entries VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            seq, leg, e.account, e.amount_fen, env.occurred_at, day, kind, cid)
        await conn.execute(
            "INSERT INTO balances VALUES ($1,$2,$3) ON CONFLICT (account) DO UPDATE SET"
            " balance_fen = balances.balance_fen + EXCLUDED.balance_fen, last_seq = $3",
            e.account, e.amount_fen, seq)


async def _cycle(conn: asyncpg.Connection, cid: str, seq: int, **cols: object) -> None:
    month, a, b = c.parse_cycle_id(cid)
    await conn.execute(
        "INSERT INTO cycles (cycle_id, month, scope, region_a, region_b, status, last_seq)"
        " VALUES ($1,$2,$3,$4,$5,'open',$6) ON CONFLICT (cycle_id) DO NOTHING",
        cid, month, cycles.scope_of(cid), a, b, seq)
    for col, value in cols.items():  # column names are ours, never input
        await conn.execute(f"UPDATE cycles SET {col} = $2, last_seq = $3 WHERE cycle_id = $1",
                           cid, value, seq)


async def _line(conn: asyncpg.Connection, cid: str, line: tuple[str, str, str],
                settled: int, refused: int) -> None:
    await conn.execute(
        "INSERT INTO statements VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT"
        " (cycle_id, debtor, creditor, institution_id) DO UPDATE SET"
        " settled_fen = statements.settled_fen + $5, refused_fen = statements.refused_fen + $6",
        cid, *line, settled, refused)


async def _posted(conn: asyncpg.Connection, env: Envelope[Message], ev: c.LedgerPosted) -> None:
    await _entries(conn, ev.ledger_seq, env, ev.entries, ev.kind.value, ev.business_date,
                   ev.cycle_id)
    if ev.cycle_id and ev.insured_region and ev.treatment_region:
        who = cycles.parties(ev.insured_region, ev.treatment_region)
        fund = sum(e.amount_fen for e in ev.entries if e.account.startswith("fund:"))
        await _cycle(conn, ev.cycle_id, ev.ledger_seq)
        if ev.late:
            await conn.execute("UPDATE cycles SET late_items = late_items + 1 WHERE cycle_id=$1",
                               ev.cycle_id)
        if who is not None:
            refusal = ev.kind is c.PostingKind.REFUSAL
            await _line(conn, ev.cycle_id, (who[0], who[1], ev.institution_id or ""),
                        0 if refusal else fund, -fund if refusal else 0)
    if ev.prepayment is not None:
        p = ev.prepayment
        await conn.execute(
            "INSERT INTO prepayment_positions VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
            " ON CONFLICT (account) DO UPDATE SET funded_fen=$2, balance_fen=$3,"
            " warning_line_fen=$4, below_warning=$5, overdrawn=$6, last_seq=$8,"
            " top_up_requested_fen = CASE WHEN NOT $5 THEN 0 WHEN $7 > 0 THEN $7"
            " ELSE prepayment_positions.top_up_requested_fen END",
            p.account, p.funded_fen, p.balance_fen, p.warning_line_fen, p.below_warning,
            p.overdrawn, p.top_up_requested_fen, ev.ledger_seq)


async def _aborted(conn: asyncpg.Connection, ev: c.ClearingCycleAborted) -> None:
    await _cycle(conn, ev.cycle_id, ev.ledger_seq, status="aborted", rolled_into=ev.rolled_into)
    await _cycle(conn, ev.rolled_into, ev.ledger_seq)
    rows = await conn.fetch("SELECT * FROM statements WHERE cycle_id=$1", ev.cycle_id)
    for r in rows:
        await _line(conn, ev.rolled_into, (r["debtor"], r["creditor"], r["institution_id"]),
                    r["settled_fen"], r["refused_fen"])


async def _closed(conn: asyncpg.Connection, ev: c.ClearingCycleClosed) -> None:
    await _cycle(conn, ev.cycle_id, ev.ledger_seq, status="closed", closed_on=ev.closed_on)
    for n in ev.nets:
        await conn.execute("INSERT INTO cycle_nets VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
                           ev.cycle_id, n.party, n.net_fen)


@dataclass
class LedgerProjection:
    name: str = "ledger"
    topics: Sequence[Topic] = field(default_factory=lambda: [CLEARING_EVENTS])

    async def apply(self, conn: asyncpg.Connection, env: Envelope[Message]) -> None:
        ev = env.payload
        seq = getattr(ev, "ledger_seq", None)
        if seq is None:
            return
        done = await conn.fetchval(
            "INSERT INTO ledger_events VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING"
            " RETURNING 1", seq, env.event_id, env.type, env.occurred_at,
            json.dumps(json.loads(wire.encode_payload(ev))))
        if done is None:
            return  # already applied
        match ev:
            case c.LedgerPosted():
                await _posted(conn, env, ev)
            case c.ClearingCycleClosed():
                await _closed(conn, ev)
            case c.ClearingCycleConfirmed():
                await _cycle(conn, ev.cycle_id, seq)
                await conn.execute("UPDATE cycles SET confirmed = array_append(confirmed, $2),"
                                   " disputed = disputed - $2 WHERE cycle_id=$1",
                                   ev.cycle_id, ev.region)
            case c.ClearingCycleDisputed():
                await _cycle(conn, ev.cycle_id, seq)
                await conn.execute("UPDATE cycles SET confirmed = array_remove(confirmed, $2),"
                                   " disputed = disputed || jsonb_build_object($2::text, $3::text)"
                                   " WHERE cycle_id=$1", ev.cycle_id, ev.region, ev.reason)
            case c.ClearingCycleSettled():
                await _entries(conn, seq, env, ev.entries, "cycle_settled", ev.settled_on,
                               ev.cycle_id)
                await _cycle(conn, ev.cycle_id, seq, status="settled", settled_on=ev.settled_on)
            case c.ClearingCycleAborted():
                await _aborted(conn, ev)


PROJECTIONS = [LedgerProjection()]


async def ledger_sums_to_zero(conn: asyncpg.Connection) -> list[str]:
    """SD-FUND-2/3 double entry: the sum over every account is zero, and so is each event."""
    total = await conn.fetchval("SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entries")
    unbalanced = await conn.fetch("SELECT ledger_seq FROM ledger_entries GROUP BY ledger_seq "
                                  "HAVING SUM(amount_fen) <> 0 ORDER BY ledger_seq LIMIT 5")
    problems = [f"the ledger sums to {total} fen, not 0"] if total else []
    problems += [f"ledger event {r['ledger_seq']} does not balance" for r in unbalanced]
    return problems


async def nets_sum_to_zero(conn: asyncpg.Connection) -> list[str]:
    """SD-FUND-2: in every closed cycle what one side receives the other pays."""
    rows = await conn.fetch("SELECT cycle_id, SUM(net_fen) AS s FROM cycle_nets "
                            "GROUP BY cycle_id HAVING SUM(net_fen) <> 0")
    return [f"cycle {r['cycle_id']} nets sum to {r['s']} fen" for r in rows]


CHECKS = [ledger_sums_to_zero, nets_sum_to_zero]
