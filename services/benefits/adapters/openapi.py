"""The OpenAPI 3 document of the benefits API (helpers of `contracts.runtime.http`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from contracts.runtime import audit_view, ingress
from contracts.runtime.http import ErrorBody, param, responses, schemas
from contracts.runtime.reads import secure
from services.benefits.adapters.commands import COMMAND_DESK
from services.benefits.adapters.views import MonthRuns, WorkerBenefits


@cache
def _document() -> dict[str, Any]:
    return secure({
        "openapi": "3.0.3",
        "info": {"title": "Benefits service (工伤待遇)", "version": "1"},
        "paths": {
            "/workers/{worker_id}/benefits": {"get": {
                "summary": "A worker's monthly entitlements for the month of as_of, the "
                           "payments made up to it, and the one-time claims (XM-17 overdue)",
                "parameters": [param("worker_id", "path", "resident id"),
                               param("as_of", "query", "YYYY-MM-DD (default today, Beijing)",
                                     False, fmt="date")],
                "responses": responses(WorkerBenefits, 400, 404)}},
            "/runs": {"get": {
                "summary": "A month's payment runs with totals, net per benefit",
                "parameters": [param("month", "query", "YYYY-MM")],
                "responses": responses(MonthRuns, 400)}},
            "/commands": ingress.openapi_path(COMMAND_DESK),
            "/health": {"get": {"summary": "200 once serving", "responses": {
                "200": {"description": "ready"}, "503": {"description": "not ready"}}}},
            **audit_view.openapi_paths(),
        },
        "components": ingress.openapi_components(
            COMMAND_DESK, {**schemas(ErrorBody, WorkerBenefits, MonthRuns,
                                     mode="serialization"), **audit_view.openapi_schemas()}),
    })


def document() -> dict[str, Any]:
    return _document()
