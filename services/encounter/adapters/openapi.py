"""The OpenAPI 3 document of the encounter HTTP API, built from the contracts' JSON schemas
(helpers shared with the other services in `contracts.runtime.http`)."""

from __future__ import annotations

from typing import Any

from contracts.encounter import (
    AdmissionAnswered,
    CancelEncounter,
    CorrectChargeLine,
    RecordAdmission,
    RecordChargeLine,
    RecordDischarge,
    RequestPreSettlement,
    ReverseChargeLine,
)
from contracts.presettlement import PreSettlementAnswered
from contracts.replies import MessageAccepted
from contracts.runtime import audit_view
from contracts.runtime.http import MAX_BODY_BYTES, REF, ErrorBody, param, refusal, schemas
from contracts.runtime.reads import secure
from services.encounter.adapters import catalog_http

PAYLOADS = (RecordAdmission, RecordChargeLine, CorrectChargeLine, ReverseChargeLine,
            RecordDischarge, CancelEncounter, RequestPreSettlement)
ANSWERS = (AdmissionAnswered, MessageAccepted, PreSettlementAnswered)


def _envelope(model: type) -> dict[str, Any]:
    return {
        "type": "object", "required": ["type", "schema_version", "payload"],
        "properties": {
            "type": {"const": model.__name__}, "schema_version": {"const": 1},
            "event_id": {"type": "string", "format": "uuid"},
            "key": {"type": "string", "description": "worker id (defaults to payload.worker_id)"},
            "source": {"type": "string", "description": "hospital:<institution_id> (default)"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "recorded_at": {"type": "string", "format": "date-time"},
            "payload": {"$ref": REF.format(model=model.__name__)},
        },
    }


def document() -> dict[str, Any]:
    errors = {str(code): refusal(text) for code, text in (
        (400, "malformed or invalid envelope/payload"), (401, "missing or unknown token"),
        (403, "wrong_institution: the token's institution differs from the message's"),
        (413, f"body_too_large: more than {MAX_BODY_BYTES} bytes"),
        (422, "refused by the encounter service (reason_code says why); nothing recorded"),
    )}
    return secure({
        "openapi": "3.0.3",
        "info": {"title": "Encounter service (就医)", "version": "1"},
        "components": {
            "schemas": {**schemas(*PAYLOADS, *ANSWERS, ErrorBody),
                        **audit_view.openapi_schemas(), **catalog_http.openapi_schemas()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/hospital/messages": {"post": {
                "summary": "Publish a hospital message; answered synchronously (≤5 s)",
                "description": "RequestPreSettlement (预结算, 2303/2206) asks what the fund "
                "would pay for an open encounter if discharged now: answered "
                "PreSettlementAnswered (per line fund_fen / self_fen / employer_fen), nothing "
                "recorded. Refused 422 encounter_not_admitted, encounter_cancelled, "
                "encounter_discharged; 403 wrong_institution.",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "oneOf": [_envelope(m) for m in PAYLOADS]}}}},
                "responses": {
                    "200": {"description": "AdmissionAnswered, MessageAccepted or "
                            "PreSettlementAnswered (in `reply`)",
                            "content": {"application/json": {"schema": {
                                "type": "object", "required": ["type", "event_id", "reply"],
                                "properties": {
                                    "type": {"enum": [m.__name__ for m in ANSWERS]},
                                    "event_id": {"type": "string", "format": "uuid"},
                                    "reply": {"oneOf": [{"$ref": REF.format(model=m.__name__)}
                                                        for m in ANSWERS]}}}}}},
                    "202": {"description": "published, answer not yet available"},
                    **errors,
                },
            }},
            "/encounters/{encounter_id}": {"get": {
                "summary": "One encounter with its charge lines",
                "parameters": [param("encounter_id", "path")],
                "responses": {"200": {"description": "the encounter"},
                              "400": refusal("bad parameter"), "404": refusal("unknown")},
            }},
            "/encounters": {"get": {
                "summary": "Encounters filtered by worker, institution, status",
                "parameters": [param(n, "query", required=False)
                               for n in ("worker_id", "institution_id")] + [
                    {**param("status", "query", required=False),
                     "schema": {"type": "string", "enum": ["open", "discharged", "cancelled"]}}],
                "responses": {"200": {"description": "{encounters: [...]}"},
                              "400": refusal("bad parameter")},
            }},
            "/reference/status": {"get": {
                "summary": "Has this worker read all reference data present at its start?",
                "responses": {"200": {"description": "{ready: true, messages: n}"},
                              "503": {"description": "still loading"}},
            }},
            "/workers/{worker_id}/coverage": {"get": {
                "summary": "The registration snapshot this service holds for a worker",
                "parameters": [param("worker_id", "path")],
                "responses": {"200": {"description": "WorkerCoverage"},
                              "404": refusal("none")},
            }},
            **audit_view.openapi_paths(),
            **catalog_http.openapi_paths(),
        },
    })
