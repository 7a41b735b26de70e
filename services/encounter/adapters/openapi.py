"""The OpenAPI 3 document of the encounter HTTP API, built from the contracts' JSON schemas."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from contracts.encounter import (
    AdmissionAnswered,
    CancelEncounter,
    CorrectChargeLine,
    RecordAdmission,
    RecordChargeLine,
    RecordDischarge,
    ReverseChargeLine,
)
from contracts.replies import MessageAccepted

PAYLOADS = (RecordAdmission, RecordChargeLine, CorrectChargeLine, ReverseChargeLine,
            RecordDischarge, CancelEncounter)

_ERROR = {"type": "object", "required": ["reason_code", "reason"],
          "properties": {"reason_code": {"type": "string"}, "reason": {"type": "string"}}}


def _envelope(model: type) -> dict[str, Any]:
    return {
        "type": "object", "required": ["type", "schema_version", "payload"],
        "properties": {
            "type": {"const": model.__name__}, "schema_version": {"const": 1},
            "event_id": {"type": "string", "format": "uuid"},
            "key": {"type": "string", "description": "worker id (defaults to payload.worker_id)"},
            "source": {"type": "string", "description": "hospital:<institution_id> (default)"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
        },
    }


def _schemas() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model in (*PAYLOADS, AdmissionAnswered, MessageAccepted):
        schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    out["Error"] = _ERROR
    return out


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def document() -> dict[str, Any]:
    errors = {str(code): {"description": text, **_json("Error")} for code, text in (
        (400, "malformed or invalid envelope/payload"), (401, "missing or unknown token"),
        (403, "wrong_institution: the token's institution differs from the message's"),
        (422, "refused by the encounter service (reason_code says why); nothing recorded"),
    )}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Encounter service (就医)", "version": "1"},
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/hospital/messages": {"post": {
                "summary": "Publish a hospital message; answered synchronously (≤5 s)",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "oneOf": [_envelope(m) for m in PAYLOADS]}}}},
                "responses": {
                    "200": {"description": "AdmissionAnswered or MessageAccepted (in `reply`)"},
                    "202": {"description": "published, answer not yet available"},
                    **errors,
                },
            }},
            "/encounters/{encounter_id}": {"get": {
                "summary": "One encounter with its charge lines",
                "parameters": [{"name": "encounter_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the encounter"},
                              "404": {"description": "unknown", **_json("Error")}},
            }},
            "/encounters": {"get": {
                "summary": "Encounters filtered by worker, institution, status",
                "parameters": [{"name": n, "in": "query", "required": False,
                                "schema": {"type": "string"}}
                               for n in ("worker_id", "institution_id", "status")],
                "responses": {"200": {"description": "{encounters: [...]}"}},
            }},
            "/reference/status": {"get": {
                "summary": "Has this worker read all reference data present at its start?",
                "responses": {"200": {"description": "{ready: true, messages: n}"},
                              "503": {"description": "still loading"}},
            }},
            "/workers/{worker_id}/coverage": {"get": {
                "summary": "The registration snapshot this service holds for a worker",
                "parameters": [{"name": "worker_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "WorkerCoverage"},
                              "404": {"description": "none", **_json("Error")}},
            }},
        },
    }
