"""The body of every Kafka agent: decode, decide, send, or reject — nothing lost.

A handler is pure with respect to Kafka: it receives a decoded envelope and returns the
records to send (`Outgoing`), or raises `Rejected`. Intake sends them and, on any refusal,
dead-letters the original bytes and answers the sender.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from contracts import wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.rejection import RawRecord, Rejected, Rejector
from contracts.topics import Topic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    topic: Topic
    envelope: Envelope[Message]


Handler = Callable[[Envelope[Message]], Awaitable[Sequence[Outgoing]]]


async def process(record: RawRecord, handler: Handler, rejector: Rejector, stage: str) -> bool:
    """Handle one record. Returns True if it was accepted."""
    try:
        env = wire.decode(record.value)
    except wire.WireError as exc:
        await rejector.reject(record, exc.code, exc.detail, stage=stage)
        return False
    try:
        outgoing = await handler(env)
    except Rejected as exc:
        await rejector.reject(record, exc.code, exc.reason, stage=stage, cause=env)
        return False
    except Exception as exc:  # a bug must not stop the partition: park the message, say why
        log.exception("handler failed on %s/%s@%s", record.topic, record.partition, record.offset)
        await rejector.reject(record, "internal_error", f"{type(exc).__name__}: {exc}",
                              stage=stage, cause=env)
        return False
    for out in outgoing:
        await rejector.send(
            out.topic.name(rejector.prefix), out.envelope.key.encode(), wire.encode(out.envelope)
        )
    return True
