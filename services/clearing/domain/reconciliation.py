"""Institution reconciliation (对总账 3201 / 对明细账 3202): an institution's figures for a
period or a clearing cycle against the ledger's, and the handler that answers it.

Pure: `compare` takes wic's settlements in scope and the request, `scope_items` reads
them from the ledger state. Wic's figures count the settlements (结算) of the institution
as they were settled — medical total and fund amount — leaving out reversed ones; audit
refusals (SD-FUND-3) are the agency's, not the institution's booking, and are not
compared (docs/assumptions.md, "Reconciliation"). A query: nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts import envelope
from contracts.clearing import parse_cycle_id
from contracts.decision import Decision, KeyedBy, Outgoing, Rejected
from contracts.encounter import hospital_source
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.reconciliation import (
    DiffReason,
    InstitutionItem,
    ItemDifference,
    ReconcileInstitution,
    ReconciliationAnswered,
    ReconciliationScope,
    Totals,
)
from contracts.topics import RECONCILIATION_ANSWERS
from services.clearing.domain.state import ClearingState

SOURCE = "clearing"


@dataclass(frozen=True)
class WicItem:
    """One settlement of the institution as the ledger holds it."""

    settlement_id: str
    medical_fen: int
    fund_fen: int
    reversed: bool = False


def totals(items: Iterable[WicItem]) -> Totals:
    """3201: count, medical and fund totals of the settlements not reversed."""
    live = [i for i in items if not i.reversed]
    return Totals(settlement_count=len(live), medical_fen=sum(i.medical_fen for i in live),
                  fund_fen=sum(i.fund_fen for i in live))


def differences(ours: Mapping[str, WicItem], theirs: Iterable[InstitutionItem],
                elsewhere: Iterable[str] = ()) -> tuple[ItemDifference, ...]:
    """3202: every settlement that differs, by id, with its reasons. `elsewhere`: ids of
    the institution's settlements wic holds outside the scope (another period or cycle)."""
    outside = set(elsewhere)
    listed = {i.settlement_id: i for i in theirs}
    out: list[ItemDifference] = []
    for sid in sorted(set(ours) | set(listed)):
        wic, inst = ours.get(sid), listed.get(sid)
        reasons: list[DiffReason] = []
        if wic is None:
            reasons.append(DiffReason.OUTSIDE_SCOPE if sid in outside
                           else DiffReason.MISSING_IN_WIC)
        elif inst is None:
            if not wic.reversed:  # a reversed settlement the institution left out agrees
                reasons.append(DiffReason.MISSING_AT_INSTITUTION)
        else:
            if wic.reversed:
                reasons.append(DiffReason.REVERSED_IN_WIC)
            if wic.medical_fen != inst.medical_fen:
                reasons.append(DiffReason.MEDICAL_TOTAL_DIFFERS)
            if wic.fund_fen != inst.fund_fen:
                reasons.append(DiffReason.FUND_AMOUNT_DIFFERS)
        if reasons:
            out.append(ItemDifference(
                settlement_id=sid, reasons=tuple(reasons),
                wic_medical_fen=wic.medical_fen if wic else None,
                wic_fund_fen=wic.fund_fen if wic else None,
                institution_medical_fen=inst.medical_fen if inst else None,
                institution_fund_fen=inst.fund_fen if inst else None))
    return tuple(out)


def compare(request: ReconcileInstitution, ours: Mapping[str, WicItem],
            elsewhere: Iterable[str], *, ref: Any, ledger_seq: int) -> ReconciliationAnswered:
    """3201 when the request lists no items, else 3202; `ref`: the request's event id."""
    wic = totals(ours.values())
    diffs = () if request.items is None else differences(ours, request.items, elsewhere)
    match = wic == request.totals and not diffs
    return ReconciliationAnswered(
        ref_event_id=ref, request_id=request.request_id, institution_id=request.institution_id,
        transaction="3201" if request.items is None else "3202", scope=request.scope,
        result="match" if match else "mismatch", wic=wic, institution=request.totals,
        differences=diffs, ledger_seq=ledger_seq)


def scope_items(state: ClearingState, institution: str, scope: ReconciliationScope
                ) -> dict[str, WicItem]:
    """The institution's settlements in scope: settled within the period, or items of
    the cycle (`unknown_cycle` for a cycle the ledger never saw)."""
    refs = state.settlements
    if scope.cycle_id is not None:
        try:
            parse_cycle_id(scope.cycle_id)
        except ValueError as exc:
            raise Rejected("invalid_cycle_id", str(exc)) from None
        cycle = state.cycles.get(scope.cycle_id)
        if cycle is None:
            raise Rejected("unknown_cycle", f"no cycle {scope.cycle_id}")
        ids: Iterable[str] = (sid for sid, it in cycle.items.items()
                              if it.institution_id == institution)
    else:
        assert scope.from_date is not None and scope.to_date is not None
        low, high = scope.from_date, scope.to_date
        ids = (sid for sid, r in refs.items() if r.institution_id == institution
               and r.settled_on is not None and low <= r.settled_on <= high)
    return {sid: WicItem(sid, refs[sid].medical_fen, refs[sid].fund_fen, refs[sid].reversed)
            for sid in ids if sid in refs and refs[sid].settled_on is not None}


def known_elsewhere(state: ClearingState, institution: str, listed: Iterable[str],
                    ours: Mapping[str, WicItem]) -> list[str]:
    """Listed ids wic holds for this institution but outside the scope."""
    return [sid for sid in listed if sid not in ours
            and (ref := state.settlements.get(sid)) is not None
            and ref.institution_id == institution]


def answer(state: ClearingState, env: Envelope[Message], _ctx: object = None
           ) -> Decision[ClearingState]:
    """A reconciliation request from an institution (Kafka or the HTTP ingress), answered
    on reconciliation-answers to its source; the state is left alone."""
    request = env.payload
    assert isinstance(request, ReconcileInstitution)
    if env.source != hospital_source(request.institution_id):
        raise Rejected("wrong_institution", f"source {env.source!r} may not reconcile "
                       f"institution {request.institution_id} (an institution reconciles "
                       "only its own settlements)")
    ours = scope_items(state, request.institution_id, request.scope)
    listed = [i.settlement_id for i in request.items or ()]
    reply = compare(request, ours, known_elsewhere(state, request.institution_id, listed, ours),
                    ref=env.event_id, ledger_seq=state.seq)
    [out] = envelope.derive(env, [reply], key=env.source, source=SOURCE, salt="reconciliation")
    return Decision(replies=[Outgoing(RECONCILIATION_ANSWERS, out)])


Handler = Callable[[ClearingState, Envelope[Message], Any], Decision[ClearingState]]
RECONCILIATION_HANDLERS: dict[type[Message], Handler] = {ReconcileInstitution: answer}
RECONCILIATION_KEYED_BY = KeyedBy("the institution id", lambda request: request.institution_id)
