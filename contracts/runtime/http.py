"""Shared pieces of the services' faust web APIs: the one JSON error body and the OpenAPI
helpers that describe responses from pydantic models.

Why here: services may import each other never, `contracts/` always; every service answered
errors as `{"reason_code", "reason"}` and built its OpenAPI document the same way, each with
a private copy. One copy keeps the error contract and the documents from drifting apart.
"""

from __future__ import annotations

from typing import Any, Literal

from faust.web import Response, View
from pydantic import BaseModel

REF = "#/components/schemas/{model}"
"""`$ref` template: every schema lives under `components/schemas/<ModelName>`."""


class ErrorBody(BaseModel):
    # Body of every refused request: a stable machine code and a human reason. (A comment,
    # not a docstring: pydantic would publish a docstring as the schema's description.)
    reason_code: str
    reason: str


def error(web: View, status: int, code: str, reason: str, **extra: Any) -> Response:
    """A JSON error response; `extra` fields (e.g. `event_id`) follow the two standard ones."""
    body = ErrorBody(reason_code=code, reason=reason).model_dump()
    return web.json({**body, **extra}, status=status)


def schemas(*models: type[BaseModel],
            mode: Literal["validation", "serialization"] = "validation") -> dict[str, Any]:
    """`components/schemas` for `models`: each under its class name, plus the models they
    reference (pydantic's `$defs`), all linked with `REF`."""
    out: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def _name(model: type[BaseModel] | str) -> str:
    return model if isinstance(model, str) else model.__name__


def json_content(model: type[BaseModel] | str, many: bool = False) -> dict[str, Any]:
    """`content` of a JSON response (or request) body: one `model`, or a list of them."""
    ref: dict[str, Any] = {"$ref": REF.format(model=_name(model))}
    schema = {"type": "array", "items": ref} if many else ref
    return {"content": {"application/json": {"schema": schema}}}


def refusal(description: str = "refused") -> dict[str, Any]:
    """One error response object, its body an `ErrorBody`."""
    return {"description": description, **json_content(ErrorBody)}


def responses(ok_model: type[BaseModel] | str, *errors: int | str | tuple[int | str, str],
              status: int = 200, description: str = "OK", many: bool = False
              ) -> dict[str, Any]:
    """`responses` of an operation: `status` with `ok_model`, then each error code (`400`,
    `"4XX"`, or `(404, "why")` to say why) answered with an `ErrorBody`."""
    out = {str(status): {"description": description, **json_content(ok_model, many)}}
    for err in errors:
        code, text = err if isinstance(err, tuple) else (err, "refused")
        out[str(code)] = refusal(text)
    return out


def param(name: str, where: str, description: str | None = None, required: bool = True, *,
          kind: str = "string", fmt: str | None = None) -> dict[str, Any]:
    """One operation parameter (`where`: path, query, header); a string unless `kind`."""
    schema: dict[str, Any] = {"type": kind}
    if fmt:
        schema["format"] = fmt
    out: dict[str, Any] = {"name": name, "in": where, "required": required}
    if description is not None:
        out["description"] = description
    out["schema"] = schema
    return out
