"""The shared HTTP helpers: the error body every service answers, the OpenAPI pieces."""

from __future__ import annotations

from typing import Any

from contracts.runtime.http import ErrorBody, error, param, responses, schemas


class _View:
    """Stands in for a faust `View`: `json` returns what it was asked to send."""

    def json(self, value: Any, *, status: int = 200) -> Any:
        return status, value


def test_error_body_keeps_extra_fields_after_the_standard_two() -> None:
    sent = error(_View(), 422, "not_covered", "no registration", event_id="e1")  # type: ignore[arg-type]
    assert sent == (422, {"reason_code": "not_covered", "reason": "no registration",
                          "event_id": "e1"})


def test_responses_refer_errors_to_error_body() -> None:
    out = responses(ErrorBody, 400, (404, "unknown"), "4XX", status=202, description="ok",
                    many=True)
    assert out["202"]["content"]["application/json"]["schema"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/ErrorBody"}}
    assert out["400"]["description"] == "refused" and out["404"]["description"] == "unknown"
    assert out["4XX"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"}


def test_param_and_schemas() -> None:
    assert param("n", "query", required=False, kind="integer") == {
        "name": "n", "in": "query", "required": False, "schema": {"type": "integer"}}
    assert param("d", "path", "a day", fmt="date")["description"] == "a day"
    assert schemas(ErrorBody)["ErrorBody"]["required"] == ["reason_code", "reason"]
