"""The OpenAPI 3 document of the query API, built from the response models' JSON Schema
(helpers shared with the other services in `contracts.runtime.http`)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from pydantic import BaseModel

from contracts.runtime import audit_view, ingress
from contracts.runtime.http import ErrorBody, param, refusal, responses, schemas
from contracts.runtime.reads import secure
from contracts.settlement import AdjudicatedLine, ClaimCost, ClaimStatus
from services.settlement.adapters.commands import COMMAND_DESK


class SettlementRevision(BaseModel):
    encounter_id: str
    revision: int
    mode: str  # direct | reimbursable
    status: str  # settled | reversed | reimbursable | superseded
    settlement_id: str | None
    worker_id: str
    institution_id: str
    insured_region: str
    treatment_region: str
    decided_on: date
    submitted_fen: int
    fund_fen: int
    self_fen: int
    employer_fen: int
    lines: list[AdjudicatedLine]
    not_direct_reasons: list[str]
    answer_due_on: date | None
    on_account: bool | None
    reversed_on: date | None
    receivable_id: str | None


class EncounterSettlementView(BaseModel):
    encounter_id: str
    current: SettlementRevision
    revisions: list[SettlementRevision]


class ClaimView(BaseModel):
    claim_id: str
    worker_id: str
    claimant: str
    employer_id: str | None
    insured_region: str
    situations: list[str]
    costs: list[ClaimCost]
    claimed_fen: int
    documents: list[str]
    missing_documents: list[str]
    status: ClaimStatus
    filed_on: date
    completed_on: date | None
    review_due_on: date | None
    reviewed_on: date | None
    approved_fen: int | None
    payee: str | None
    channel: str | None
    payment_due_on: date | None
    paid_on: date | None
    paid_fen: int | None
    calendar_estimated: bool
    advance_id: str | None
    advance_fen: int | None
    remainder_fen: int | None
    overdue: bool


class ClaimList(BaseModel):
    as_of: date
    claims: list[ClaimView]


@cache
def document() -> dict[str, Any]:
    return secure({
        "openapi": "3.1.0",
        "info": {"title": "Settlement service query API", "version": "1"},
        "paths": {
            "/encounters/{encounter_id}/settlement": {"get": {
                "summary": "An encounter's settlement revisions with line-level reasons",
                "parameters": [param("encounter_id", "path")],
                "responses": responses(EncounterSettlementView, (400, "bad parameter"),
                                       (404, "unknown encounter"))}},
            "/encounters/{encounter_id}/settlement.pdf": {"get": {
                "summary": "The current revision as a printable settlement slip (结算单) in "
                           "Chinese: each line with its item code, fund / self / employer "
                           "amounts and reason codes, and the totals (issue 18 item 4)",
                "parameters": [param("encounter_id", "path")],
                "responses": {"200": {"description": "the PDF, as an attachment", "content": {
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                    "400": refusal("bad parameter"), "404": refusal("unknown encounter"),
                    "503": refusal("no CJK font on the server (font_unavailable)")}}},
            "/claims": {"get": {
                "summary": "Claims by status; with overdue_on, only those overdue that day (XM-17)",
                "parameters": [{**param("status", "query", required=False),
                                "schema": {"type": "string",
                                           "enum": [x.value for x in ClaimStatus]}},
                               param("overdue_on", "query", required=False, fmt="date")],
                "responses": responses(ClaimList, (400, "bad parameter"))}},
            "/claims/{claim_id}": {"get": {
                "summary": "One claim with its due dates",
                "parameters": [param("claim_id", "path"),
                               param("as_of", "query", required=False, fmt="date")],
                "responses": responses(ClaimView, (400, "bad parameter"),
                                       (404, "unknown claim"))}},
            "/commands": ingress.openapi_path(COMMAND_DESK),
            "/health": {"get": {"summary": "Ready once partitions are assigned and recovered",
                                "responses": {"200": {"description": "ready"},
                                              "503": {"description": "not ready"}}}},
            **audit_view.openapi_paths(),
        },
        "components": ingress.openapi_components(
            COMMAND_DESK, {**schemas(ErrorBody, EncounterSettlementView, ClaimView, ClaimList,
                                     mode="serialization"), **audit_view.openapi_schemas()}),
    })
