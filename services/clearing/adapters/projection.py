"""Read model of `clearing-events`: entries by ledger position, balances, cycles, statements,
prepayment positions. Rows and offsets commit together (ProjectionRunner); an event already
applied (same ledger_seq / event_id) is skipped.

A batch is applied at once (`apply_many`; `apply` is the batch of one): one look-up of the
ledger positions already applied, then each run of consecutive postings — nearly all of the
ledger — with one statement per table (`_Postings`). Cycle events, a few per month, are
applied one by one between the runs. The rows are those of applying the events one by one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from contracts import clearing as c
from contracts import wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.audit_trail import TABLE
from contracts.runtime.projection import Projection, apply_in_runs
from contracts.topics import CLEARING_EVENTS, Topic
from services.clearing.adapters.audit import AUDIT
from services.clearing.domain import cycles

TABLES = ["ledger_events", "ledger_entries", "balances", "cycles", "statements", "cycle_nets",
          "prepayment_positions", "cycle_items", "cycle_item_marks", TABLE]


_APPLIED = ("SELECT ledger_seq, event_id FROM ledger_events"
            " WHERE ledger_seq = ANY($1::bigint[]) OR event_id = ANY($2::uuid[])")
_INSERT_EVENT = "INSERT INTO ledger_events VALUES ($1,$2,$3,$4,$5)"
_INSERT_ENTRY = "INSERT INTO ledger_entries VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
_ADD_BALANCE = ("INSERT INTO balances VALUES ($1,$2,$3) ON CONFLICT (account) DO UPDATE SET"
                " balance_fen = balances.balance_fen + EXCLUDED.balance_fen, last_seq = $3")
_OPEN_CYCLE = ("INSERT INTO cycles (cycle_id, month, scope, region_a, region_b, status, last_seq)"
               " VALUES ($1,$2,$3,$4,$5,'open',$6) ON CONFLICT (cycle_id) DO NOTHING")
_ADD_LATE = "UPDATE cycles SET late_items = late_items + $2 WHERE cycle_id = $1"
_ADD_LINE = ("INSERT INTO statements VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT"
             " (cycle_id, debtor, creditor, institution_id) DO UPDATE SET"
             " settled_fen = statements.settled_fen + $5,"
             " refused_fen = statements.refused_fen + $6")
_ADD_ITEM = ("INSERT INTO cycle_items VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT"
             " (cycle_id, settlement_id) DO UPDATE SET"
             " settled_fen = cycle_items.settled_fen + $6,"
             " refused_fen = cycle_items.refused_fen + $7")
_CARRY_ITEMS = ("INSERT INTO cycle_items SELECT $2, settlement_id, institution_id, debtor,"
                " creditor, settled_fen, refused_fen FROM cycle_items WHERE cycle_id = $1"
                " ON CONFLICT (cycle_id, settlement_id) DO UPDATE SET"
                " settled_fen = cycle_items.settled_fen + EXCLUDED.settled_fen,"
                " refused_fen = cycle_items.refused_fen + EXCLUDED.refused_fen")
_MARK = ("INSERT INTO cycle_item_marks VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT"
         " (cycle_id, settlement_id, region) DO UPDATE SET status=$4, reason=$5, actor=$6,"
         " marked_on=$7, last_seq=$8")
_UNMARK = "DELETE FROM cycle_item_marks WHERE cycle_id=$1 AND settlement_id=$2 AND region=$3"
_PREPAYMENT = (
    "INSERT INTO prepayment_positions VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
    " ON CONFLICT (account) DO UPDATE SET funded_fen=$2, balance_fen=$3,"
    " warning_line_fen=$4, below_warning=$5, overdrawn=$6, last_seq=$8,"
    " top_up_requested_fen = CASE WHEN NOT $5 THEN 0 WHEN $7 > 0 THEN $7"
    " ELSE prepayment_positions.top_up_requested_fen END")


async def _cycle(conn: asyncpg.Connection, cid: str, seq: int, **cols: object) -> None:
    await conn.execute(_OPEN_CYCLE, *_open_cycle_row(cid, seq))
    for col, value in cols.items():  # column names are ours, never input
        await conn.execute(f"UPDATE cycles SET {col} = $2, last_seq = $3 WHERE cycle_id = $1",
                           cid, value, seq)


async def _line(conn: asyncpg.Connection, cid: str, line: tuple[str, str, str],
                settled: int, refused: int) -> None:
    await conn.execute(_ADD_LINE, cid, *line, settled, refused)


async def _aborted(conn: asyncpg.Connection, ev: c.ClearingCycleAborted) -> None:
    await _cycle(conn, ev.cycle_id, ev.ledger_seq, status="aborted", rolled_into=ev.rolled_into)
    await _cycle(conn, ev.rolled_into, ev.ledger_seq)
    rows = await conn.fetch("SELECT * FROM statements WHERE cycle_id=$1", ev.cycle_id)
    for r in rows:
        await _line(conn, ev.rolled_into, (r["debtor"], r["creditor"], r["institution_id"]),
                    r["settled_fen"], r["refused_fen"])
    await conn.execute(_CARRY_ITEMS, ev.cycle_id, ev.rolled_into)  # items, not their marks


async def _closed(conn: asyncpg.Connection, ev: c.ClearingCycleClosed) -> None:
    await _cycle(conn, ev.cycle_id, ev.ledger_seq, status="closed", closed_on=ev.closed_on)
    for n in ev.nets:
        await conn.execute("INSERT INTO cycle_nets VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
                           ev.cycle_id, n.party, n.net_fen)


def _open_cycle_row(cid: str, seq: int) -> tuple[object, ...]:
    month, a, b = c.parse_cycle_id(cid)
    return cid, month, cycles.scope_of(cid), a, b, seq


@dataclass
class _Postings:
    """Consecutive postings written with one statement per table, rows as if one by one.

    Entries are rows of their own. Balances and statement lines only ever add, so each key's
    amounts are summed (a balance's last_seq is its last posting's). A cycle is opened by its
    first posting and later ones leave it. Prepayment positions go in log order: each
    posting's top-up depends on the row the previous one left.
    """

    entries: list[tuple[object, ...]] = field(default_factory=list)
    balances: dict[str, list[int]] = field(default_factory=dict)  # account -> [sum, last seq]
    opened: dict[str, int] = field(default_factory=dict)  # cycle id -> first seq
    late: Counter[str] = field(default_factory=Counter)
    lines: dict[tuple[str, str, str, str], list[int]] = field(default_factory=dict)
    items: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    prepayments: list[tuple[object, ...]] = field(default_factory=list)

    def add_entries(self, seq: int, env: Envelope[Message], entries: tuple[c.Entry, ...],
                    kind: str, day: object, cid: str | None) -> None:
        for leg, e in enumerate(entries):
            self.entries.append((seq, leg, e.account, e.amount_fen, env.occurred_at, day, kind,
                                 cid))
            total = self.balances.setdefault(e.account, [0, seq])
            total[0] += e.amount_fen
            total[1] = seq

    def add_line(self, cid: str, key: tuple[str, str, str], settled: int, refused: int) -> None:
        amounts = self.lines.setdefault((cid, *key), [0, 0])
        amounts[0] += settled
        amounts[1] += refused

    def add(self, env: Envelope[Message]) -> bool:
        ev = env.payload
        if not isinstance(ev, c.LedgerPosted):
            return False
        self.add_entries(ev.ledger_seq, env, ev.entries, ev.kind.value, ev.business_date,
                         ev.cycle_id)
        if ev.cycle_id and ev.insured_region and ev.treatment_region:
            self.opened.setdefault(ev.cycle_id, ev.ledger_seq)
            if ev.late:
                self.late[ev.cycle_id] += 1
            who = cycles.parties(ev.insured_region, ev.treatment_region)
            if who is not None:
                fund = sum(e.amount_fen for e in ev.entries if e.account.startswith("fund:"))
                refusal = ev.kind is c.PostingKind.REFUSAL
                self.add_line(ev.cycle_id, (who[0], who[1], ev.institution_id or ""),
                              0 if refusal else fund, -fund if refusal else 0)
                if ev.settlement_id:  # the cycle holds this settlement (3260)
                    item = self.items.setdefault(
                        (ev.cycle_id, ev.settlement_id),
                        [ev.institution_id or "", who[0], who[1], 0, 0])
                    item[3] += 0 if refusal else fund
                    item[4] += -fund if refusal else 0
        if (p := ev.prepayment) is not None:
            self.prepayments.append((p.account, p.funded_fen, p.balance_fen, p.warning_line_fen,
                                     p.below_warning, p.overdrawn, p.top_up_requested_fen,
                                     ev.ledger_seq))
        return True

    async def write(self, conn: asyncpg.Connection) -> None:
        writes: list[tuple[str, list[tuple[object, ...]]]] = [
            (_INSERT_ENTRY, self.entries),
            (_ADD_BALANCE, [(a, s, seq) for a, (s, seq) in self.balances.items()]),
            (_OPEN_CYCLE, [_open_cycle_row(cid, seq) for cid, seq in self.opened.items()]),
            (_ADD_LATE, list(self.late.items())),
            (_ADD_LINE, [(*k, s, r) for k, (s, r) in self.lines.items()]),
            (_ADD_ITEM, [(*k, *v) for k, v in self.items.items()]),
            (_PREPAYMENT, self.prepayments),
        ]
        for sql, rows in writes:
            if rows:
                await conn.executemany(sql, rows)


def _payload_json(ev: Message) -> str:
    return json.dumps(json.loads(wire.encode_payload(ev)))


async def _apply_other(conn: asyncpg.Connection, env: Envelope[Message]) -> None:
    """The ledger events that are not postings: a few per cycle, applied one by one."""
    ev = env.payload
    seq = ev.ledger_seq  # type: ignore[attr-defined]  # every event kept here is a ledger event
    match ev:
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
            settled = _Postings()
            settled.add_entries(seq, env, ev.entries, "cycle_settled", ev.settled_on,
                                ev.cycle_id)
            await settled.write(conn)
            await _cycle(conn, ev.cycle_id, seq, status="settled", settled_on=ev.settled_on)
        case c.ClearingCycleAborted():
            await _aborted(conn, ev)
        case c.ClearingItemConfirmed():
            await conn.execute(_MARK, ev.cycle_id, ev.settlement_id, ev.region, "confirmed",
                               "", ev.confirmed_by, ev.confirmed_on, seq)
        case c.ClearingItemDisputed():
            await conn.execute(_MARK, ev.cycle_id, ev.settlement_id, ev.region, "disputed",
                               ev.reason, "", ev.disputed_on, seq)
        case c.ClearingItemConfirmationRolledBack():
            await conn.execute(_UNMARK, ev.cycle_id, ev.settlement_id, ev.region)


@dataclass
class LedgerProjection:
    name: str = "ledger"
    topics: Sequence[Topic] = field(default_factory=lambda: [CLEARING_EVENTS])

    async def apply(self, conn: asyncpg.Connection, env: Envelope[Message]) -> None:
        await self.apply_many(conn, [env])

    async def apply_many(self, conn: asyncpg.Connection, events: list[Envelope[Message]]
                         ) -> None:
        """Apply `events` in log order; ledger events already applied (same ledger_seq or
        event id, earlier or in this batch) are skipped. Runs of postings, nearly all of the
        ledger, are written a run at a time (`_Postings`)."""
        ledger = [(env, env.payload, seq) for env in events
                  if (seq := getattr(env.payload, "ledger_seq", None)) is not None]
        if not ledger:
            return
        rows = await conn.fetch(_APPLIED, [seq for _, _, seq in ledger],
                                [env.event_id for env, _, _ in ledger])
        seqs, ids = {r["ledger_seq"] for r in rows}, {r["event_id"] for r in rows}
        fresh = []
        for env, ev, seq in ledger:
            if seq in seqs or env.event_id in ids:
                continue
            seqs.add(seq)
            ids.add(env.event_id)
            fresh.append((env, ev, seq))
        await conn.executemany(_INSERT_EVENT, [(seq, env.event_id, env.type, env.occurred_at,
                                                _payload_json(ev)) for env, ev, seq in fresh])
        await apply_in_runs(conn, [env for env, _, _ in fresh], _Postings, _apply_other)


PROJECTIONS: list[Projection] = [LedgerProjection(), AUDIT]


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
