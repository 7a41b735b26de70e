"""The OpenAPI 3 document of the registration query API, built from the pydantic models
(helpers shared with the other services in `contracts.runtime.http`)."""

from __future__ import annotations

from typing import Any

from contracts.registration import REGISTRATION_COMMANDS
from contracts.runtime import audit_view
from contracts.runtime.http import MAX_BODY_BYTES, REF, ErrorBody, param, responses, schemas
from services.registration.adapters.views import (
    CommandAccepted,
    CoverageAnswer,
    HistoryAnswer,
    RegistrationBody,
)


def document() -> dict[str, Any]:
    worker = param("worker_id", "path", "resident id (18 chars, check digit verified)")
    def envelope(command: type) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["event_id", "type", "schema_version", "key", "occurred_at",
                         "recorded_at", "source", "payload"],
            "description": "contracts.envelope.Envelope; key = payload.worker_id; occurred_at "
                           "is the clerk's action time (business time, 2000-01-01 to 1 day "
                           "after recorded_at)",
            "additionalProperties": False,
            "properties": {
                "event_id": {"type": "string", "format": "uuid"},
                "type": {"const": command.__name__}, "schema_version": {"const": 1},
                "key": {"type": "string"}, "source": {"type": "string"},
                "occurred_at": {"type": "string", "format": "date-time"},
                "recorded_at": {"type": "string", "format": "date-time"},
                "causation_id": {"type": "string", "format": "uuid"},
                "correlation_id": {"type": "string", "format": "uuid"},
                "payload": {"$ref": REF.format(model=command.__name__)}},
        }
    envelope_schema = {"oneOf": [envelope(c) for c in REGISTRATION_COMMANDS],
                       "description": f"at most {MAX_BODY_BYTES} bytes"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Registration service (异地就医备案)", "version": "1"},
        "paths": {
            "/registrations/{registration_id}": {"get": {
                "summary": "Status of one registration",
                "parameters": [param("registration_id", "path", "registration id"),
                               param("as_of", "query", "YYYY-MM-DD: derive status_as_of",
                                     False, fmt="date")],
                "responses": responses(RegistrationBody, 400, 404, 409)}},
            "/workers/{worker_id}/coverage": {"get": {
                "summary": "Was the worker covered at place P on date D, by which registration?",
                "parameters": [worker, param("place", "query", "GB/T 2260 region code"),
                               param("date", "query", "YYYY-MM-DD", fmt="date")],
                "responses": responses(CoverageAnswer, 400)}},
            "/workers/{worker_id}/history": {"get": {
                "summary": "A worker's registrations and every registration event, in order",
                "parameters": [worker], "responses": responses(HistoryAnswer, 400, 404)}},
            "/commands": {"post": {
                "summary": "Publish a registration command envelope to registration-commands",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": envelope_schema}}},
                "responses": responses(CommandAccepted, 400, (413, "body too large"),
                                       status=202, description="published")}},
            "/health": {"get": {"summary": "200 once serving", "responses": {
                "200": {"description": "ready"}, "503": {"description": "not ready"}}}},
            **audit_view.openapi_paths(),
        },
        "components": {"schemas": {**schemas(ErrorBody, RegistrationBody, CoverageAnswer,
                                             HistoryAnswer, CommandAccepted,
                                             *REGISTRATION_COMMANDS),
                                   **audit_view.openapi_schemas()}},
    }
