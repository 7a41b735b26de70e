"""Batching changes nothing: the ledger read model's `apply_many` writes the rows of the
per-event path (SD-FUND-2/3: balances, cycle statements and nets are what clearing pays on).

A ledger of postings (settlements cross- and intra-provincial, a refusal, late items, postings
outside any cycle, prepayment positions crossing their warning line and back) and cycle events
(closed, disputed, confirmed, settled, aborted and rolled into the next), with redeliveries
inside and across batches and a message the read model ignores, is applied into fresh
schemas of one test database:
  - by `per_event_apply` below, the shipped per-event projection before batching (two
    statements per leg, one or two per cycle and line), kept verbatim as the oracle;
  - by `LedgerProjection.apply` (a batch of one) and `apply_many` in batches of 4 and in one
    (`tests.support.oracle.BatchOracle`).
Every table's digest must equal the oracle's, and the oracle's own figures are checked
against sums computed here from the postings.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import asyncpg
import pytest

from contracts import clearing as c
from contracts import envelope, wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.runtime.projection import connect
from services.clearing.adapters.projection import TABLES, LedgerProjection
from services.clearing.domain import cycles
from tests.support.oracle import BatchOracle

pytestmark = pytest.mark.integration

T = datetime(2024, 5, 20, 9, 0, tzinfo=UTC)
QINGDAO, JINAN, BEIJING, QINGDAO_HOME = "370200", "370100", "110100", "370202"
MAY_INTRA = c.cycle_id("2024-05", JINAN, QINGDAO)
JUNE_INTRA = c.cycle_id("2024-06", JINAN, QINGDAO)
MAY_CROSS = c.cycle_id("2024-05", "110000", "370000")
JUNE_CROSS = c.cycle_id("2024-06", "110000", "370000")
PREPAID = "prepayment:110000@370000"


# --- the oracle: LedgerProjection.apply as shipped before apply_many, verbatim -----------
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


async def per_event_apply(conn: asyncpg.Connection, env: Envelope[Message]) -> None:
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


# --- the ledger -----------------------------------------------------------------------
def _env(payload: Message) -> Envelope[Message]:
    return envelope.new(payload, key="ledger", occurred_at=T, source="clearing")


def _posting(seq: int, fund: int, *, insured: str | None = JINAN, treated: str | None = QINGDAO,
             kind: c.PostingKind = c.PostingKind.SETTLEMENT, cycle: str | None = MAY_INTRA,
             late: bool = False, prepayment: c.PrepaymentStatus | None = None,
             institution: str = "H370200001") -> Envelope[Message]:
    """The insured city's fund charged `fund` fen (negative: recovered), the hospital owed it
    (cross-provincial: drawn on the prepayment instead), as `postings.settlement_posting`."""
    other = PREPAID if prepayment is not None else f"institution:{institution}"
    entries = (c.Entry(account=f"fund:{(insured or JINAN)[:4]}00", amount_fen=fund),
               c.Entry(account=other, amount_fen=-fund))
    return _env(c.LedgerPosted(
        ledger_seq=seq, entries=entries, kind=kind, reference=f"S{seq}",
        cause_event_id=uuid.uuid4(), cause_type="EncounterSettled",
        business_date=date(2024, 5, 20), insured_region=insured, treatment_region=treated,
        institution_id=institution, cycle_id=cycle, late=late, prepayment=prepayment))


def _prepaid(balance: int, top_up: int) -> c.PrepaymentStatus:
    return c.PrepaymentStatus(account=PREPAID, funded_fen=100_000, balance_fen=balance,
                              warning_line_fen=30_000, below_warning=balance < 30_000,
                              overdrawn=balance < 0, top_up_requested_fen=top_up)


def ledger() -> list[Envelope[Message]]:
    close = _env(c.ClearingCycleClosed(
        ledger_seq=8, cycle_id=MAY_INTRA, month="2024-05", scope=cycles.INTRA, lines=(),
        nets=(c.PartyNet(party=JINAN, net_fen=-6_500), c.PartyNet(party=QINGDAO, net_fen=6_500)),
        closed_on=date(2024, 6, 1)))
    events = [
        _posting(0, 5_000),
        _posting(1, 3_000, insured=BEIJING, cycle=MAY_CROSS, prepayment=_prepaid(97_000, 0)),
        _posting(2, 2_500, institution="H370200002"),
        _posting(3, -1_000, kind=c.PostingKind.REFUSAL),
        _posting(4, 70_000, insured=BEIJING, cycle=MAY_CROSS, prepayment=_prepaid(27_000, 73_000)),
        _posting(5, 500, insured=BEIJING, cycle=MAY_CROSS, prepayment=_prepaid(26_500, 0)),
        _posting(6, 700, insured=QINGDAO_HOME, treated=QINGDAO, cycle=None),  # at home
        _posting(7, 300, insured=None, treated=None, cycle=None),  # no regions: not cleared
        close,
        _env(c.ClearingCycleDisputed(ledger_seq=9, cycle_id=MAY_INTRA, region=JINAN,
                                     reason="line S2 unknown", disputed_on=date(2024, 6, 2))),
        _env(c.ClearingCycleConfirmed(ledger_seq=10, cycle_id=MAY_INTRA, region=JINAN,
                                      confirmed_on=date(2024, 6, 3))),
        _posting(11, 400, cycle=JUNE_INTRA, late=True),  # opens June's cycle
        _posting(12, 600, cycle=JUNE_INTRA, late=True),
        _env(c.ClearingCycleSettled(
            ledger_seq=13, cycle_id=MAY_INTRA, settled_on=date(2024, 6, 5),
            entries=(c.Entry(account=f"agency:{JINAN}", amount_fen=-6_500),
                     c.Entry(account=f"agency:{QINGDAO}", amount_fen=6_500)))),
        _env(c.ClearingCycleAborted(ledger_seq=14, cycle_id=MAY_CROSS, rolled_into=JUNE_CROSS,
                                    reason="province asked", aborted_on=date(2024, 6, 6))),
        _posting(15, 200_000, insured=BEIJING, cycle=JUNE_CROSS,
                 prepayment=_prepaid(-173_500, 0)),
        _posting(16, 100, insured=BEIJING, cycle=JUNE_CROSS, prepayment=_prepaid(-173_600, 0)),
        _posting(17, -150_000, insured=BEIJING, cycle=JUNE_CROSS, kind=c.PostingKind.REVERSAL,
                 prepayment=_prepaid(-23_600, 0)),
    ]
    other = _env(MessageAccepted(ref_event_id=uuid.uuid4(), ref_type="X", detail="ignored"))
    # Redelivery inside a batch and across batches; a message the read model ignores.
    return [*events[:3], events[1], *events[3:9], other, *events[9:], events[0], events[8]]


# --- the comparison -------------------------------------------------------------------
def oracle(database_url: str) -> BatchOracle:
    return BatchOracle(database_url, "clearing", TABLES, LedgerProjection(), ledger())


async def test_sd_fund_ledger_apply_many_writes_the_rows_of_the_per_event_path(
        database_url: str) -> None:
    await oracle(database_url).assert_batching_changes_nothing(per_event_apply, "ledger", [4])


async def test_sd_fund_ledger_batch_sums_balances_lines_and_prepayment_top_ups(
        database_url: str) -> None:
    """The figures of one batch, from the postings above: what a cycle statement shows."""
    figures = oracle(database_url)
    events = figures.events
    await figures.build("ledger_figures", figures.in_batches(len(events)))
    conn = await connect(database_url, "ledger_figures")
    try:
        balances = {r["account"]: r["balance_fen"] for r in await conn.fetch(
            "SELECT account, balance_fen FROM balances")}
        lines = {(r["cycle_id"], r["institution_id"]): (r["settled_fen"], r["refused_fen"])
                 for r in await conn.fetch("SELECT * FROM statements")}
        position = await conn.fetchrow("SELECT * FROM prepayment_positions")
        late = await conn.fetchval("SELECT late_items FROM cycles WHERE cycle_id=$1",
                                   JUNE_INTRA)
        entries = await conn.fetchval("SELECT count(*) FROM ledger_entries")
    finally:
        await conn.close()
    # Jinan's fund: 5,000 + 2,500 - 1,000 (refused) + 300 (not cleared) + 400 + 600.
    assert balances[f"fund:{JINAN}"] == 7_800
    assert balances[f"fund:{BEIJING}"] == 3_000 + 70_000 + 500 + 200_000 + 100 - 150_000
    assert balances[f"fund:{QINGDAO}"] == 700
    assert sum(balances.values()) == 0  # SD-FUND-3: every posting balances
    assert lines == {
        (MAY_INTRA, "H370200001"): (5_000, 1_000),  # the refusal counts as refused
        (MAY_INTRA, "H370200002"): (2_500, 0),
        (JUNE_INTRA, "H370200001"): (1_000, 0),
        (MAY_CROSS, "H370200001"): (73_500, 0),
        # The aborted May cycle rolled into June (SD-FUND-2), beside June's own postings.
        (JUNE_CROSS, "H370200001"): (73_500 + 200_000 + 100 - 150_000, 0),
    }
    assert late == 2
    distinct = {e.event_id: e.payload for e in events}.values()
    assert entries == sum(len(getattr(p, "entries", ())) for p in distinct)
    # A top-up asked for below the warning line stays asked while the position stays below
    # it (the later postings ask for nothing new).
    assert position is not None
    assert (position["balance_fen"], position["top_up_requested_fen"]) == (-23_600, 73_000)
