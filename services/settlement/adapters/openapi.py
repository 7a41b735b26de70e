"""The OpenAPI 3 document of the query API, built from the response models' JSON Schema."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from contracts.settlement import AdjudicatedLine, ClaimCost, ClaimStatus


class ErrorBody(BaseModel):
    reason_code: str
    reason: str


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


def _ok(model: str) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model}"}}}}


def _err(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}


def _param(name: str, where: str, fmt: str | None = None, required: bool = False
           ) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if fmt:
        schema["format"] = fmt
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema}


@cache
def document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [ErrorBody, EncounterSettlementView, ClaimView, ClaimList]
    _, defs = models_json_schema([(m, "serialization") for m in models],
                                 ref_template="#/components/schemas/{model}")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Settlement service query API", "version": "1"},
        "paths": {
            "/encounters/{encounter_id}/settlement": {"get": {
                "summary": "An encounter's settlement revisions with line-level reasons",
                "parameters": [_param("encounter_id", "path")],
                "responses": {"200": _ok("EncounterSettlementView"),
                              "404": _err("unknown encounter")}}},
            "/claims": {"get": {
                "summary": "Claims by status; with overdue_on, only those overdue that day (XM-17)",
                "parameters": [_param("status", "query"), _param("overdue_on", "query", "date")],
                "responses": {"200": _ok("ClaimList"), "400": _err("bad parameter")}}},
            "/claims/{claim_id}": {"get": {
                "summary": "One claim with its due dates",
                "parameters": [_param("claim_id", "path"), _param("as_of", "query", "date")],
                "responses": {"200": _ok("ClaimView"), "404": _err("unknown claim")}}},
            "/health": {"get": {"summary": "Ready once partitions are assigned and recovered",
                                "responses": {"200": {"description": "ready"},
                                              "503": {"description": "not ready"}}}},
        },
        "components": {"schemas": defs.get("$defs", {})},
    }
