"""Shared pieces of the services' faust web APIs: the one JSON error body, the OpenAPI
helpers that describe responses from pydantic models, and the parsing of every request
parameter and body (bounded, so bad input is a 4xx with a specific code, never a 5xx).

Why here: services may import each other never, `contracts/` always; every service answered
errors as `{"reason_code", "reason"}` and built its OpenAPI document the same way, each with
a private copy. One copy keeps the error contract and the documents from drifting apart.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any, Literal

import asyncpg
import faust
import orjson
from aiohttp import web as aioweb
from aiokafka.errors import KafkaError
from faust.web import Request, Response, View
from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError

from contracts import wire
from contracts.actor import Actor
from contracts.business_time import CHINA
from contracts.envelope import CLOCK_SKEW, IMPLAUSIBLE
from contracts.runtime.rejection import RawRecord, Rejector

REF = "#/components/schemas/{model}"
"""`$ref` template: every schema lives under `components/schemas/<ModelName>`."""


class ErrorBody(BaseModel):
    # Body of every refused request: a stable machine code and a human reason. (A comment,
    # not a docstring: pydantic would publish a docstring as the schema's description.)
    reason_code: str
    reason: str


_ROUTER_CODES = {404: "no_such_route", 405: "method_not_allowed", 413: "body_too_large",
                 400: "bad_request"}


DATABASE_DOWN: tuple[type[BaseException], ...] = (
    OSError, asyncio.TimeoutError, asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError, asyncpg.ConnectionFailureError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ObjectNotInPrerequisiteStateError)  # "not currently accepting connections"
"""What a query raises while PostgreSQL is restarting or unreachable (issue 14 finding 3)."""


def install_error_bodies(app: faust.App) -> None:
    """Answer the web server's own refusals (no route, method not allowed, a malformed
    request line) with an `ErrorBody` too, as every view does: an aiohttp middleware."""
    web_app: aioweb.Application = app.web.web_app  # type: ignore[attr-defined]
    if any(getattr(m, "wic_error_bodies", False) for m in web_app.middlewares):
        return

    @aioweb.middleware
    async def error_bodies(request: aioweb.Request, handler: Any) -> aioweb.StreamResponse:
        try:
            return await handler(request)
        except aioweb.HTTPException as exc:
            if exc.status < 400:
                raise
            code = _ROUTER_CODES.get(exc.status, f"http_{exc.status}")
            return aioweb.json_response({"reason_code": code, "reason": exc.reason or code},
                                        status=exc.status)
        except DATABASE_DOWN as exc:  # the read model's database is away: ask to retry
            return aioweb.json_response(
                {"reason_code": "database_unavailable",
                 "reason": f"the read model's database cannot be reached ({type(exc).__name__});"
                           " decisions go on, queries answer again once it is back"},
                status=503, headers={"Retry-After": "5"})

    error_bodies.wic_error_bodies = True  # type: ignore[attr-defined]
    web_app.middlewares.append(error_bodies)


def error(web: View, status: int, code: str, reason: str, **extra: Any) -> Response:
    """A JSON error response; `extra` fields (e.g. `event_id`) follow the two standard ones."""
    body = ErrorBody(reason_code=code, reason=reason).model_dump()
    return web.json({**body, **extra}, status=status)


async def refuse_body(web: View, rejector: Rejector, route: str, raw: bytes, exc: BadRequest,
                      actor: Actor | None) -> Response:
    """Refuse a body at an HTTP door: its bytes to the service's dead letters (with the
    `actor` the door authenticated, if any), then the answer to the sender."""
    try:
        await rejector.reject(http_record(route, raw), exc.code, exc.reason, stage="http",
                              actor=actor)
    except KafkaError as err:
        return error(web, 503, "broker_unavailable",
                     f"refused ({exc.code}) but not dead-lettered: {err!r}")
    return error(web, exc.status, exc.code, exc.reason)


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


# --- Input limits (docs/operations.md, "Input limits") ----------------------------------

MAX_BODY_BYTES = 256 * 1024
"""A request body larger than this is refused 413 `body_too_large` before anything is
produced: an envelope is a few KiB, and a dead letter (base64 of the body) must stay well
inside the broker's 1 MiB record limit."""
MAX_TEXT = 200
"""The longest text parameter (ids, codes, accounts)."""
INT64_MAX = 2**63 - 1
QUERY_FIRST_DAY = date(2000, 1, 1)
QUERY_LAST_DAY = date(2199, 12, 31)
"""Dates and instants asked about in queries lie in these years (the business bounds of
`contracts.envelope`; queries have no `recorded_at`, so the upper bound is fixed)."""


class BadRequest(Exception):
    """A refused request: HTTP `status`, stable `code`, human `reason`."""

    def __init__(self, code: str, reason: str, status: int = 400) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason, self.status = code, reason, status


Handler = Callable[..., Awaitable[Response]]


def refusing(method: Handler) -> Handler:
    """Decorate a view method: a `BadRequest` raised in it answers its `ErrorBody`."""

    @functools.wraps(method)
    async def wrapper(self: View, request: Request, **kwargs: Any) -> Response:
        try:
            return await method(self, request, **kwargs)
        except BadRequest as exc:
            return error(self, exc.status, exc.code, exc.reason)

    return wrapper


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def text(value: str | None, name: str, *, required: bool = True, max_len: int = MAX_TEXT,
         choices: frozenset[str] | None = None) -> str | None:
    """A text parameter: NUL and other control characters refused (`invalid_text`; the
    database cannot hold NUL), at most `max_len` characters, one of `choices` if given."""
    if value is None or value == "":
        if required:
            raise BadRequest("missing_parameter", f"{name} is required")
        return None
    if _CONTROL.search(value) or not _utf8(value):
        raise BadRequest("invalid_text", f"{name} contains a NUL, a control character or "
                         "bytes that are not UTF-8")
    if len(value) > max_len:
        raise BadRequest("parameter_too_long", f"{name} is longer than {max_len} characters")
    if choices is not None and value not in choices:
        raise BadRequest(f"invalid_{name}", f"{name} {value!r} is not one of "
                         f"{', '.join(sorted(choices))}")
    return value


def _utf8(value: str) -> bool:
    try:  # lone surrogates (undecodable bytes in a URL) cannot be sent to the database
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def required_text(value: str | None, name: str, **kw: Any) -> str:
    out = text(value, name, required=True, **kw)
    assert out is not None
    return out


def integer(value: str | None, name: str, *, lo: int = 0, hi: int = INT64_MAX) -> int | None:
    """A bounded integer parameter (None if absent): `invalid_integer`, `out_of_range`."""
    if value is None:
        return None
    if not re.fullmatch(r"[+-]?[0-9]{1,20}", value):
        raise BadRequest("invalid_integer", f"{name} {value[:40]!r} is not an integer")
    number = int(value)
    if not lo <= number <= hi:
        raise BadRequest("out_of_range", f"{name} {number} is outside {lo}..{hi}")
    return number


def day(value: str | None, name: str, *, required: bool = True) -> date | None:
    """A YYYY-MM-DD parameter between 2000-01-01 and 2199-12-31."""
    if value is None or value == "":
        if required:
            raise BadRequest("missing_parameter", f"{name} is required (YYYY-MM-DD)")
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)
        out = date.fromisoformat(value)
    except ValueError:
        raise BadRequest("invalid_date", f"{name} {value[:40]!r} is not YYYY-MM-DD") from None
    if not QUERY_FIRST_DAY <= out <= QUERY_LAST_DAY:
        raise BadRequest("date_out_of_range", f"{name} {value} is outside "
                         f"{QUERY_FIRST_DAY}..{QUERY_LAST_DAY}")
    return out


def required_day(value: str | None, name: str) -> date:
    out = day(value, name, required=True)
    assert out is not None
    return out


_INSTANT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)


def instant(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 instant with a zone (None if absent), in the years of `day`."""
    if value is None:
        return None
    if _CONTROL.search(value) or len(value) > 40:
        raise BadRequest("invalid_instant", f"{name} is not an ISO 8601 instant")
    try:
        out = _INSTANT.validate_python(value)
    except ValidationError:
        raise BadRequest("invalid_instant", f"{name} {value!r} is not an ISO 8601 instant "
                         "with a zone") from None
    first = datetime.combine(QUERY_FIRST_DAY, datetime.min.time(), CHINA)
    last = datetime.combine(QUERY_LAST_DAY, datetime.max.time(), CHINA)
    if not first <= out <= last:  # compared, not converted: year 1 +14:00 cannot overflow
        raise BadRequest("date_out_of_range", f"{name} {value} is outside "
                         f"{QUERY_FIRST_DAY}..{QUERY_LAST_DAY}")
    return out


def month(value: str | None, name: str = "month") -> str:
    """A YYYY-MM parameter (required), its year in the range of `day`."""
    if not value:
        raise BadRequest("missing_parameter", f"{name} is required (YYYY-MM)")
    m = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise BadRequest("invalid_month", f"{name} {value[:40]!r} is not YYYY-MM")
    if not QUERY_FIRST_DAY.year <= int(m.group(1)) <= QUERY_LAST_DAY.year:
        raise BadRequest("date_out_of_range", f"{name} {value} is outside "
                         f"{QUERY_FIRST_DAY.year}..{QUERY_LAST_DAY.year}")
    return value


def query(request: Request) -> Mapping[str, str]:
    """The query parameters; a parameter given twice is refused (which one would count?)."""
    q = request.query
    # a multidict: one item per value, while multidict 7 lists a repeated name's key once
    keys = [key for key, _ in q.items()]
    if len(keys) != len(set(keys)):
        raise BadRequest("repeated_parameter", "a query parameter is given more than once")
    return q


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, read no further than `limit` bytes: beyond it (by Content-Length
    or by reading), `BodyTooLarge` (413) holding the first `limit` bytes for the dead letter.
    aiohttp's own 1 MiB limit (a text 413) is never reached."""
    declared = request.headers.get("Content-Length")
    size = int(declared) if declared is not None and declared.isdigit() else None
    stream = getattr(request, "content", None)
    if stream is None:  # not aiohttp: faust's own read (whole body)
        raw = await request.read()
    else:
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = await stream.read(limit + 1 - got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        raw = b"".join(chunks)
    if len(raw) > limit or (size is not None and size > limit):
        raise BodyTooLarge(raw[:limit], limit, size)
    return raw


class BodyTooLarge(BadRequest):
    """413: `head` is what was read of the body (at most the limit)."""

    def __init__(self, head: bytes, limit: int, declared: int | None) -> None:
        size = f"{declared} bytes" if declared is not None else "more"
        super().__init__("body_too_large", f"the body has {size}; at most {limit} bytes "
                         "are accepted", 413)
        self.head = head


def json_object(raw: bytes, not_an_object: str) -> dict[str, Any]:
    """The body as a JSON object: `malformed_json` if it is not JSON, `not_an_object` (the
    door's own code) if it is JSON of another shape."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("malformed_json", str(exc)) from None
    if not isinstance(data, dict):
        raise BadRequest(not_an_object, "the body must be a JSON object")
    return data


def wire_refusal(exc: wire.WireError) -> tuple[str, str]:
    """(code, reason) of an undecodable body: `implausible_date` named as such (the wire
    decoder reports it as `invalid_envelope`, the envelope's own validator having raised)."""
    ctx = exc.__context__
    if isinstance(ctx, ValidationError) and any(e["type"] == IMPLAUSIBLE for e in ctx.errors()):
        return IMPLAUSIBLE, exc.detail
    return exc.code, exc.detail


def check_recorded(recorded_at: datetime, received_at: datetime) -> None:
    """At an HTTP ingress, the envelope's `recorded_at` may not lie after the moment it is
    received (the record's broker time, near enough) by more than the envelope's clock skew:
    `contracts.envelope` bounds every business time by `recorded_at`, so this holds them all
    to the log's own time. (Only the ingress looks at a clock; a replay reads the log.)"""
    if recorded_at > received_at + CLOCK_SKEW:
        raise BadRequest(IMPLAUSIBLE, f"recorded_at {recorded_at.isoformat()} is more than 1 "
                         "day after the time it was received")


def http_record(route: str, raw: bytes) -> RawRecord:
    """A refused HTTP body as a dead letter's record (`route`: e.g. "POST /commands"). HTTP
    input has no log position: a stable pseudo-offset from the body's hash, so the same
    refused body dead-letters under the same id (its time is the refusal's)."""
    offset = int.from_bytes(hashlib.sha256(raw).digest()[:7], "big")
    return RawRecord(f"http:{route}", 0, offset, None, raw)
