"""The OpenAPI 3 document of the registration query API, built from the pydantic models
(helpers shared with the other services in `contracts.runtime.http`)."""

from __future__ import annotations

from typing import Any

from contracts.runtime import audit_view, ingress
from contracts.runtime.http import ErrorBody, param, responses, schemas
from contracts.runtime.reads import secure
from services.registration.adapters.commands import COMMAND_DESK
from services.registration.adapters.views import (
    CoverageAnswer,
    HistoryAnswer,
    RegistrationBody,
    RegistrationList,
)


def document() -> dict[str, Any]:
    worker = param("worker_id", "path", "resident id (18 chars, check digit verified)")
    return secure({
        "openapi": "3.0.3",
        "info": {"title": "Registration service (异地就医备案)", "version": "1"},
        "paths": {
            "/registrations/{registration_id}": {"get": {
                "summary": "Status of one registration",
                "parameters": [param("registration_id", "path", "registration id"),
                               param("as_of", "query", "YYYY-MM-DD: derive status_as_of",
                                     False, fmt="date")],
                "responses": responses(RegistrationBody, 400, 404, 409)}},
            "/registrations": {"get": {
                "summary": "Registrations of the reader's regions (status=pending: the review "
                           "queue), oldest first",
                "parameters": [param("status", "query", "pending | approved | rejected | "
                                     "cancelled", False),
                               param("limit", "query", "1…500 (default 200)", False)],
                "responses": responses(RegistrationList, 400)}},
            "/workers/{worker_id}/coverage": {"get": {
                "summary": "Was the worker covered at place P on date D, by which registration?",
                "parameters": [worker, param("place", "query", "GB/T 2260 region code"),
                               param("date", "query", "YYYY-MM-DD", fmt="date")],
                "responses": responses(CoverageAnswer, 400)}},
            "/workers/{worker_id}/history": {"get": {
                "summary": "A worker's registrations and every registration event, in order",
                "parameters": [worker], "responses": responses(HistoryAnswer, 400, 404)}},
            "/commands": ingress.openapi_path(COMMAND_DESK),
            "/health": {"get": {"summary": "200 once serving", "responses": {
                "200": {"description": "ready"}, "503": {"description": "not ready"}}}},
            **audit_view.openapi_paths(),
        },
        "components": ingress.openapi_components(
            COMMAND_DESK, {**schemas(ErrorBody, RegistrationBody, RegistrationList,
                                            CoverageAnswer, HistoryAnswer),
                           **audit_view.openapi_schemas()}),
    })
