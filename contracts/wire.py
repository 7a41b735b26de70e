"""Serialization, in one place: JSON (UTF-8, sorted keys) via orjson (`contracts.canonical`).

`decode` turns bytes into a validated envelope or raises `WireError` with a machine-readable
code and a human sentence that names the field at fault. Every consumer uses it, so a
malformed message is described the same way wherever it lands.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from contracts import catalog  # noqa: F401  (fills the message registry)
from contracts.canonical import canonical_json
from contracts.envelope import AnyEnvelope, Envelope
from contracts.message import Message, UnknownMessage, model_for


class WireError(ValueError):
    """Input that cannot become a message. `code` is stable; `detail` explains."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def encode(envelope: Envelope[Any]) -> bytes:
    return canonical_json(envelope)


def encode_payload(payload: Message) -> bytes:
    return canonical_json(payload)


def describe(error: ValidationError, prefix: str = "") -> str:
    parts = []
    for err in error.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{prefix}{where}: {err['msg']}")
    more = error.error_count() - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def decode(raw: bytes | None) -> Envelope[Message]:
    if not raw:
        raise WireError("empty", "the message has no body")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise WireError("malformed_json", f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WireError("malformed_envelope", "the message must be a JSON object")
    return decode_obj(data)


def peek_type(raw: bytes | None) -> str | None:
    """The envelope's `type`, without validating anything (None if there is none to read).

    For agents that act on a few types of a topic their own services write: the others are
    passed over without building a pydantic envelope. Undecodable input gives None, so the
    caller still sends it through `decode` (and to the dead letters).
    """
    try:
        data = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None
    mtype = data.get("type") if isinstance(data, dict) else None
    return mtype if isinstance(mtype, str) else None


def peek_kind(raw: bytes | None) -> tuple[str, int] | None:
    """The envelope's (`type`, `schema_version`), without validating anything else (None
    if either is missing or malformed: a bool is no version). Like `peek_type`, for agents
    that pass by what they do not decide on: an unknown version is then still decoded, and
    dead-lettered (issue 14: garbage on an input topic is never dropped silently)."""
    try:
        data = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    mtype, version = data.get("type"), data.get("schema_version")
    if not isinstance(mtype, str) or not isinstance(version, int) or isinstance(version, bool):
        return None
    return mtype, version


def decode_obj(data: dict[str, Any]) -> Envelope[Message]:
    mtype, version = data.get("type"), data.get("schema_version")
    # a bool is an int to Python: `true` would be read as version 1 (and re-encode as `1`)
    if not isinstance(mtype, str) or not isinstance(version, int) or isinstance(version, bool):
        raise WireError(
            "malformed_envelope", "'type' (string) and 'schema_version' (int) are required"
        )
    try:
        model = model_for(mtype, version)
    except UnknownMessage as exc:
        raise WireError("unknown_type", str(exc)) from None
    try:
        payload = model.model_validate(data.get("payload"))
    except ValidationError as exc:
        detail = f"{mtype} v{version}: {describe(exc, 'payload.')}"
        raise WireError("invalid_payload", detail) from None
    try:
        return AnyEnvelope.model_validate({**data, "payload": payload})
    except ValidationError as exc:
        # a business time out of bounds is named as such (issue 14 finding 5)
        code = ("implausible_date" if any(e["type"] == "implausible_date" for e in exc.errors())
                else "invalid_envelope")
        raise WireError(code, describe(exc)) from exc
