"""Clearing cycles (清算周期), SD-FUND-2: one window per month and pair of regions.

Open → closed (nets frozen) → confirmed by both regions → settled; or, after a dispute,
aborted and rolled into the next open cycle of the pair. Intra-provincial cycles pair the
insured city with the treatment city; cross-provincial cycles pair the two provinces.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from contracts.clearing import CycleLine, LedgerPosted, PartyNet, cycle_id, parse_cycle_id
from contracts.types import city_of, province_of
from services.clearing.domain import items
from services.clearing.domain.state import ClearingState, Cycle, CycleStatus, LineKey, LineTotals

INTRA = "intra_provincial"
CROSS = "cross_provincial"


def parties(insured_region: str, treatment_region: str) -> tuple[str, str, str] | None:
    """(debtor, creditor, scope) of a settlement, or None when it is not cleared (same city)."""
    if insured_region[:2] != treatment_region[:2]:
        return province_of(insured_region), province_of(treatment_region), CROSS
    debtor, creditor = city_of(insured_region), city_of(treatment_region)
    if debtor == creditor:
        return None  # SD-REG-8: treatment at home is not off-site; nothing to clear
    return debtor, creditor, INTRA


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    return f"{y + (m == 12):04d}-{m % 12 + 1:02d}"


def scope_of(cid: str) -> str:
    _, a, b = parse_cycle_id(cid)
    return CROSS if a[:2] != b[:2] else INTRA


def assign(state: ClearingState, month: str, a: str, b: str) -> tuple[str, bool]:
    """SD-FUND-2 cycle assignment: the cycle of the item's own month unless that one is no
    longer open, then the next open one (a late item). Returns (cycle id, late)."""
    current = month
    while True:
        cid = cycle_id(current, a, b)
        cycle = state.cycles.get(cid)
        if cycle is None or cycle.status is CycleStatus.OPEN:
            return cid, current != month
        current = next_month(current)


def _get(state: ClearingState, cid: str, month: str | None = None) -> Cycle:
    found = state.cycles.get(cid)
    if found is not None:
        return found
    return Cycle(cycle_id=cid, month=month or parse_cycle_id(cid)[0], scope=scope_of(cid))


def _put(state: ClearingState, cycle: Cycle) -> ClearingState:
    return replace(state, cycles={**state.cycles, cycle.cycle_id: cycle})


def counted(state: ClearingState, cid: str, ev: LedgerPosted, fund_amount: int) -> ClearingState:
    """Add a posting's fund amount to its cycle line (refusals on the refused side)."""
    assert ev.insured_region and ev.treatment_region
    who = parties(ev.insured_region, ev.treatment_region)
    if who is None:
        return state
    key: LineKey = (who[0], who[1], ev.institution_id or "")
    cycle = _get(state, cid)
    old = cycle.lines.get(key, LineTotals())
    if ev.kind == "refusal":
        new = LineTotals(old.settled_fen, old.refused_fen - fund_amount)
    else:
        new = LineTotals(old.settled_fen + fund_amount, old.refused_fen)
    cycle = replace(cycle, lines={**cycle.lines, key: new})
    if ev.settlement_id:  # the cycle holds this settlement (3260 membership)
        cycle = items.counted(cycle, ev.settlement_id, key, fund_amount,
                              refusal=ev.kind == "refusal")
    return _put(state, cycle)


def with_status(state: ClearingState, cid: str, status: CycleStatus,
                month: str | None = None) -> ClearingState:
    return _put(state, replace(_get(state, cid, month), status=status))


def confirmed(state: ClearingState, cid: str, region: str, by: str = "") -> ClearingState:
    cycle = _get(state, cid)
    disputed = {k: v for k, v in cycle.disputed.items() if k != region}
    return _put(state, replace(cycle, confirmed=cycle.confirmed | {region}, disputed=disputed,
                               confirmers={**cycle.confirmers, region: by}))


def disputed(state: ClearingState, cid: str, region: str, reason: str) -> ClearingState:
    cycle = _get(state, cid)
    confirmers = {k: v for k, v in cycle.confirmers.items() if k != region}
    return _put(state, replace(cycle, confirmed=cycle.confirmed - {region},
                               confirmers=confirmers,
                               disputed={**cycle.disputed, region: reason}))


def aborted(state: ClearingState, cid: str, into: str) -> ClearingState:
    """The aborted cycle's lines are carried, as they are, into `into` (nothing is lost)."""
    cycle = replace(_get(state, cid), status=CycleStatus.ABORTED, rolled_into=into)
    state = _put(state, cycle)
    target = _get(state, into)
    lines = dict(target.lines)
    for key, t in cycle.lines.items():
        old = lines.get(key, LineTotals())
        lines[key] = LineTotals(old.settled_fen + t.settled_fen, old.refused_fen + t.refused_fen)
    return _put(state, items.carried(replace(target, lines=lines), cycle))


def statement(cycle: Cycle) -> tuple[tuple[CycleLine, ...], tuple[PartyNet, ...]]:
    """Lines and nets per region: what each region receives (> 0) or pays (< 0). Σ nets = 0."""
    lines = tuple(
        CycleLine(debtor=d, creditor=c, institution_id=i, settled_fen=t.settled_fen,
                  refused_fen=t.refused_fen, amount_fen=t.amount_fen)
        for (d, c, i), t in sorted(cycle.lines.items())
    )
    _, a, b = parse_cycle_id(cycle.cycle_id)
    nets = {a: 0, b: 0}
    for line in lines:
        nets[line.creditor] = nets.get(line.creditor, 0) + line.amount_fen
        nets[line.debtor] = nets.get(line.debtor, 0) - line.amount_fen
    return lines, tuple(PartyNet(party=p, net_fen=n) for p, n in sorted(nets.items()))
