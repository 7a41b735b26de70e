"""Decisions on agency commands (clearing-commands): each returns the one event it causes,
None when it changes nothing (e.g. closing a closed cycle), or raises `Rejected`."""

from __future__ import annotations

import uuid

from contracts.clearing import (
    AbortCycle,
    ClearingCycleAborted,
    ClearingCycleClosed,
    ClearingCycleConfirmed,
    ClearingCycleDisputed,
    ClearingCycleSettled,
    CloseCycle,
    ConfirmCycle,
    DisputeCycle,
    FundPrepayment,
    LedgerPosted,
    PostingKind,
    RefuseItems,
    SettleCycle,
    parse_cycle_id,
)
from contracts.decision import Rejected
from contracts.types import city_of, province_of
from services.clearing.domain import accounts, cycles, postings, prepayment
from services.clearing.domain.item_commands import refuse_if_disputed
from services.clearing.domain.state import ClearingState, Cycle, CycleStatus, Policy


def _cycle(state: ClearingState, cid: str) -> Cycle:
    try:
        parse_cycle_id(cid)
    except ValueError as exc:
        raise Rejected("invalid_cycle_id", str(exc)) from None
    found = state.cycles.get(cid)
    if found is None:
        raise Rejected("unknown_cycle", f"cycle {cid} has no postings and was never closed")
    return found


def fund_prepayment(state: ClearingState, policy: Policy, cmd: FundPrepayment,
                    cause: uuid.UUID) -> LedgerPosted | None:
    """SD-FUND-1: the insured province's prepayment is now held at the treatment province."""
    if cmd.insured_province != province_of(cmd.insured_province) or \
            cmd.treatment_province != province_of(cmd.treatment_province):
        raise Rejected("not_a_province", "prepayments are between provinces (codes xx0000)")
    if cmd.insured_province == cmd.treatment_province:
        raise Rejected("same_province", "a province holds no prepayment for itself")
    if cmd.prepayment_id in state.funded:
        return None  # the same prepayment told twice: already on the ledger
    pre = accounts.prepayment(cmd.insured_province, cmd.treatment_province)
    entries = postings.legs((pre, cmd.amount_fen), (accounts.bank(cmd.insured_province),
                                                    -cmd.amount_fen))
    status = prepayment.status_after(state, entries, pre, policy, funded_now=cmd.amount_fen)
    return LedgerPosted(
        ledger_seq=state.seq, entries=entries, kind=PostingKind.PREPAYMENT_FUNDED,
        reference=cmd.prepayment_id, cause_event_id=cause, cause_type=cmd.message_type,
        business_date=cmd.funded_on, insured_region=cmd.insured_province,
        treatment_region=cmd.treatment_province, prepayment=status)


def close_cycle(state: ClearingState, cmd: CloseCycle) -> ClearingCycleClosed | None:
    """SD-FUND-2: freeze the window and net it. Closing twice changes nothing; a cycle with
    no postings yet may be closed (later items then go to the next one)."""
    try:
        month, _, _ = parse_cycle_id(cmd.cycle_id)
    except ValueError as exc:
        raise Rejected("invalid_cycle_id", str(exc)) from None
    existing = state.cycles.get(cmd.cycle_id)
    if existing is not None and existing.status is not CycleStatus.OPEN:
        return None
    cycle = existing or Cycle(cycle_id=cmd.cycle_id, month=month,
                              scope=cycles.scope_of(cmd.cycle_id))
    lines, nets = cycles.statement(cycle)
    return ClearingCycleClosed(ledger_seq=state.seq, cycle_id=cmd.cycle_id, month=month,
                               scope=cycle.scope, lines=lines, nets=nets,
                               closed_on=cmd.closed_on)


def _closed_party(state: ClearingState, cid: str, region: str) -> Cycle:
    cycle = _cycle(state, cid)
    if cycle.status is not CycleStatus.CLOSED:
        raise Rejected("cycle_not_closed", f"cycle {cid} is {cycle.status.value}, not closed")
    _, a, b = parse_cycle_id(cid)
    if region not in (a, b):
        raise Rejected("not_a_party", f"region {region} is not a party to cycle {cid}")
    return cycle


def confirm_cycle(state: ClearingState, cmd: ConfirmCycle, by: str = ""
                  ) -> ClearingCycleConfirmed | None:
    cycle = _closed_party(state, cmd.cycle_id, cmd.region)
    if cmd.region in cycle.confirmed:
        return None
    refuse_if_disputed(cycle, cmd.region, f"be confirmed by {cmd.region}")  # 3261
    return ClearingCycleConfirmed(ledger_seq=state.seq, cycle_id=cmd.cycle_id,
                                  region=cmd.region, confirmed_on=cmd.confirmed_on,
                                  confirmed_by=by)


def dispute_cycle(state: ClearingState, cmd: DisputeCycle) -> ClearingCycleDisputed:
    _closed_party(state, cmd.cycle_id, cmd.region)
    return ClearingCycleDisputed(ledger_seq=state.seq, cycle_id=cmd.cycle_id, region=cmd.region,
                                 reason=cmd.reason, disputed_on=cmd.disputed_on)


def settle_cycle(state: ClearingState, cmd: SettleCycle) -> ClearingCycleSettled | None:
    """SD-FUND-2: once both regions confirmed, institutions' payables are paid and each
    insured side's agency is charged its share. Cross-provincial items were already paid
    from the prepayment, so settling them moves no further money."""
    cycle = _cycle(state, cmd.cycle_id)
    if cycle.status is CycleStatus.SETTLED:
        return None
    if cycle.status is not CycleStatus.CLOSED:
        raise Rejected("cycle_not_closed", f"cycle {cmd.cycle_id} is {cycle.status.value}")
    refuse_if_disputed(cycle, None, "settle")  # 3261: an open item dispute holds it
    _, a, b = parse_cycle_id(cmd.cycle_id)
    missing = sorted({a, b} - cycle.confirmed)
    if missing or cycle.disputed:
        raise Rejected("cycle_not_confirmed",
                       f"cycle {cmd.cycle_id}: awaiting confirmation from {missing}, "
                       f"disputed by {sorted(cycle.disputed)}")
    pairs: list[tuple[str, int]] = []
    if cycle.scope == cycles.INTRA:
        for (debtor, _, inst), t in sorted(cycle.lines.items()):
            pairs += [(accounts.institution(inst), t.amount_fen),
                      (accounts.agency(city_of(debtor)), -t.amount_fen)]
    return ClearingCycleSettled(ledger_seq=state.seq, cycle_id=cmd.cycle_id,
                                entries=postings.legs(*pairs), settled_on=cmd.settled_on)


def abort_cycle(state: ClearingState, cmd: AbortCycle) -> ClearingCycleAborted:
    """A closed cycle that will not be settled: its lines roll into the next open cycle."""
    cycle = _cycle(state, cmd.cycle_id)
    if cycle.status is not CycleStatus.CLOSED:
        raise Rejected("cycle_not_closed", f"cycle {cmd.cycle_id} is {cycle.status.value}")
    month, a, b = parse_cycle_id(cmd.cycle_id)
    into, _ = cycles.assign(state, cycles.next_month(month), a, b)
    return ClearingCycleAborted(ledger_seq=state.seq, cycle_id=cmd.cycle_id, rolled_into=into,
                                reason=cmd.reason, aborted_on=cmd.aborted_on)


def refuse_items(state: ClearingState, policy: Policy, cmd: RefuseItems,
                 cause: uuid.UUID) -> LedgerPosted | None:
    """SD-FUND-3: a refusal (拒付) is a new posting that flows back through the next open
    cycle of the pair; the original settlement is never edited."""
    if cmd.refusal_id in state.refusals:
        return None
    ref = state.settlements.get(cmd.settlement_id)
    if ref is None:
        raise Rejected("unknown_settlement", f"no settlement {cmd.settlement_id} on the ledger")
    if cmd.amount_fen > ref.outstanding_fen:
        raise Rejected("refusal_exceeds_settlement",
                       f"refusing {cmd.amount_fen} fen but only {ref.outstanding_fen} fen of "
                       f"settlement {cmd.settlement_id} is outstanding")
    ev = postings.settlement_posting(
        state, policy, kind=PostingKind.REFUSAL, cause=cause, cause_type=cmd.message_type,
        settlement_id=cmd.settlement_id, insured=ref.insured_region,
        treatment=ref.treatment_region, institution_id=ref.institution_id,
        fund_fen=-cmd.amount_fen, on=cmd.refused_on, reference=cmd.refusal_id)
    return ev.model_copy(update={"detail": f"{cmd.reason_code}: {cmd.reason}"})
