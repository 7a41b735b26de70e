"""The OpenAPI 3 document of the registration query API, built from the pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from contracts.registration import REGISTRATION_COMMANDS
from services.registration.adapters.views import (
    CommandAccepted,
    CoverageAnswer,
    ErrorBody,
    HistoryAnswer,
    RegistrationBody,
)

REF = "#/components/schemas/{model}"


def _collect(models: list[type[BaseModel]]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _json(model: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}}}


def _ok(model: str, *errors: int) -> dict[str, Any]:
    out = {"200": {"description": "OK", **_json(model)}}
    out.update({str(c): {"description": "refused", **_json("ErrorBody")} for c in errors})
    return out


def _param(name: str, where: str, desc: str, required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": desc,
            "schema": {"type": "string"}}


def document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [ErrorBody, RegistrationBody, CoverageAnswer,
                                     HistoryAnswer, CommandAccepted, *REGISTRATION_COMMANDS]
    worker = _param("worker_id", "path", "resident id (18 chars, check digit verified)")
    envelope_schema = {
        "type": "object",
        "required": ["event_id", "type", "schema_version", "key", "occurred_at",
                     "recorded_at", "source", "payload"],
        "description": "contracts.envelope.Envelope; key = payload.worker_id; occurred_at is "
                       "the clerk's action time (business time)",
        "properties": {"payload": {"oneOf": [{"$ref": REF.format(model=c.__name__)}
                                             for c in REGISTRATION_COMMANDS]}},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Registration service (异地就医备案)", "version": "1"},
        "paths": {
            "/registrations/{registration_id}": {"get": {
                "summary": "Status of one registration",
                "parameters": [_param("registration_id", "path", "registration id"),
                               _param("as_of", "query", "YYYY-MM-DD: derive status_as_of",
                                      False)],
                "responses": _ok("RegistrationBody", 400, 404, 409)}},
            "/workers/{worker_id}/coverage": {"get": {
                "summary": "Was the worker covered at place P on date D, by which registration?",
                "parameters": [worker, _param("place", "query", "GB/T 2260 region code"),
                               _param("date", "query", "YYYY-MM-DD")],
                "responses": _ok("CoverageAnswer", 400)}},
            "/workers/{worker_id}/history": {"get": {
                "summary": "A worker's registrations and every registration event, in order",
                "parameters": [worker], "responses": _ok("HistoryAnswer", 400, 404)}},
            "/commands": {"post": {
                "summary": "Publish a registration command envelope to registration-commands",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": envelope_schema}}},
                "responses": {"202": {"description": "published", **_json("CommandAccepted")},
                              "400": {"description": "refused", **_json("ErrorBody")}}}},
            "/health": {"get": {"summary": "200 once serving", "responses": {
                "200": {"description": "ready"}, "503": {"description": "not ready"}}}},
        },
        "components": {"schemas": _collect(models)},
    }
