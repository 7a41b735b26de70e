"""Decoding records our own services wrote, without running their checks a second time.

Every record on an event topic was validated by its one writer before it was encoded
(`contracts.topics.Writer`; the broker's ACLs let no one else produce there,
`contracts.acl`). A replay reads hundreds of thousands of them, and the Python checks of
every envelope — the resident-id check digit, the region codes, the business-time bounds
of every date in the payload — were 40% of decoding, decoding half of the rebuild
(docs/performance.md, "Fifth round: replay"). `decoder(topic)` decodes such a record with
the same pydantic models, which still build every value (uuids, instants, enums, nested
models, defaults), under the validation context `contracts.types.TRUSTED`, in which those
checks pass their value through. A record qualifies when a check proves its writer
validated it:

- the envelope's `source` is the topic's single writer (`Topic.writer`), and
- its (`type`, `schema_version`) is the newest version of a registered message (a record
  of an older version was written under older checks).

Anything else — another source, an older or unknown version, unreadable bytes — goes the
validated way (`wire.decode`) and is refused there if invalid. The fast way refuses what
pydantic itself refuses (a missing field, an unknown key, a value of the wrong type):
such a record is then decoded the validated way too, so it is refused with the usual
reason. `tests/unit/contracts/test_trusted_decode.py` shows, for every message type the
projections read, that both ways give equal envelopes with identical encodings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import ValidationError

from contracts import wire
from contracts.envelope import AnyEnvelope, Envelope
from contracts.message import Message, registered
from contracts.topics import Topic
from contracts.types import TRUSTED

Decode = Callable[[bytes | None], Envelope[Message]]


@functools.cache
def current() -> dict[str, type[Message]]:
    """Each message type's newest schema version (its model)."""
    latest: dict[str, type[Message]] = {}
    for (mtype, _), model in sorted(registered().items()):
        latest[mtype] = model  # sorted: the newest version of each type comes last
    return latest


def qualifies(data: dict[str, Any], writer: str) -> type[Message] | None:
    """The payload model if the parsed record may skip the checks (see the module's
    docstring), else None."""
    if data.get("source") != writer:
        return None
    model = current().get(data.get("type"))  # type: ignore[arg-type]
    version = data.get("schema_version")
    if model is None or type(version) is not int or version != model.version:
        return None
    return model


def decode_obj(data: dict[str, Any], writer: str) -> Envelope[Message]:
    """`wire.decode_obj`, without the writer's checks for a record that qualifies."""
    model = qualifies(data, writer)
    if model is not None:
        try:
            payload = model.model_validate(data.get("payload"), context=TRUSTED)
            return AnyEnvelope.model_validate({**data, "payload": payload}, context=TRUSTED)
        except ValidationError:
            pass  # not what the writer writes: refused the usual way, with its reason
    return wire.decode_obj(data)


def decoder(topic: Topic) -> Decode:
    """`wire.decode` for records of `topic`, with the fast way for its writer's records."""
    writer = topic.writer.value

    def decode(raw: bytes | None) -> Envelope[Message]:
        if raw:
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return wire.decode(raw)  # refused there, with its reason
            if isinstance(data, dict):
                return decode_obj(data, writer)
        return wire.decode(raw)
    return decode
