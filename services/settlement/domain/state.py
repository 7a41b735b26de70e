"""Decision state per worker (the Kafka key), rebuilt by folding this service's own events.

`evolve(state, event) -> state` is the only place state changes; `decide` functions read it.
Stored as JSON in a faust table keyed by worker id.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from contracts.idempotency import DecidedIds
from contracts.message import Message
from contracts.settlement import (
    AdvanceGranted,
    AdvanceOffset,
    Claimant,
    ClaimCompleted,
    ClaimDocumentsSubmitted,
    ClaimFiled,
    ClaimPaid,
    ClaimReviewed,
    ClaimSituation,
    ClaimStatus,
    DocumentKind,
    EmployerReceivableRaised,
    EncounterReimbursable,
    EncounterSettled,
    Payee,
    PaymentChannel,
    SettlementNoticeIssued,
    SettlementReversed,
)


class EncounterEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    encounter_id: str
    revision: int
    settled: EncounterSettled | None = None  # the settlement in force (direct), if any
    reimbursable: EncounterReimbursable | None = None
    on_account: bool = False  # XM-18 记帐: notice issued before discharge
    clawed_back: bool = False  # XM-18: already part of an employer receivable


class ClaimEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_id: str
    claimant: Claimant
    employer_id: str | None
    insured_region: str
    situations: tuple[ClaimSituation, ...]
    claimed_fen: int
    one_time_benefit: bool
    documents: tuple[DocumentKind, ...]
    missing: tuple[DocumentKind, ...]
    status: ClaimStatus
    approved_fen: int | None = None
    payee: Payee | None = None
    channel: PaymentChannel | None = None
    advance: AdvanceGranted | None = None
    reviewed_by: str | None = None  # the actor who reviewed it (four-eyes for its payment)


class WorkerState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seen: DecidedIds = DecidedIds()  # input event ids already decided
    encounters: dict[str, EncounterEntry] = {}
    claims: dict[str, ClaimEntry] = {}
    receivables: int = 0


def _claim(state: WorkerState, claim_id: str, **update: object) -> WorkerState:
    entry = state.claims[claim_id].model_copy(update=update)
    return state.model_copy(update={"claims": {**state.claims, claim_id: entry}})


def _encounter(state: WorkerState, entry: EncounterEntry) -> WorkerState:
    return state.model_copy(update={"encounters": {**state.encounters, entry.encounter_id: entry}})


def evolve(state: WorkerState, event: Message) -> WorkerState:
    if isinstance(event, EncounterSettled):
        return _encounter(state, EncounterEntry(
            encounter_id=event.encounter_id, revision=event.revision, settled=event))
    if isinstance(event, SettlementNoticeIssued):
        prev = state.encounters[event.encounter_id]
        return _encounter(state, prev.model_copy(update={"on_account": event.on_account}))
    if isinstance(event, SettlementReversed):
        prev = state.encounters[event.encounter_id]
        return _encounter(state, prev.model_copy(update={"settled": None}))
    if isinstance(event, EncounterReimbursable):
        return _encounter(state, EncounterEntry(
            encounter_id=event.encounter_id, revision=event.revision, reimbursable=event))
    if isinstance(event, ClaimFiled):
        entry = ClaimEntry(
            claim_id=event.claim_id, claimant=event.claimant, employer_id=event.employer_id,
            insured_region=event.insured_region, situations=event.situations,
            claimed_fen=event.claimed_fen,
            one_time_benefit=ClaimSituation.ONE_TIME_BENEFIT in event.situations,
            documents=event.documents, missing=event.missing_documents,
            status=ClaimStatus.INCOMPLETE)
        return state.model_copy(update={"claims": {**state.claims, event.claim_id: entry}})
    if isinstance(event, ClaimDocumentsSubmitted):
        docs = tuple(dict.fromkeys(state.claims[event.claim_id].documents + event.documents))
        return _claim(state, event.claim_id, documents=docs, missing=event.missing_documents)
    if isinstance(event, ClaimCompleted):
        return _claim(state, event.claim_id, status=ClaimStatus.COMPLETE)
    if isinstance(event, ClaimReviewed):
        return _claim(state, event.claim_id, status=ClaimStatus.REVIEWED,
                      approved_fen=event.approved_fen, payee=event.payee, channel=event.channel)
    if isinstance(event, ClaimPaid | AdvanceOffset):
        return _claim(state, event.claim_id, status=ClaimStatus.PAID)
    if isinstance(event, AdvanceGranted):
        return _claim(state, event.claim_id, advance=event)
    if isinstance(event, EmployerReceivableRaised):
        encounters = {
            k: (v.model_copy(update={"clawed_back": True})
                if v.settled and v.settled.settlement_id in event.settlement_ids else v)
            for k, v in state.encounters.items()
        }
        return state.model_copy(update={"encounters": encounters,
                                        "receivables": state.receivables + 1})
    return state

