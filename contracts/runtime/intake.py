"""The body of every Kafka agent: decode, decide, send, or reject — nothing lost.

A handler is pure with respect to Kafka: it receives a decoded envelope and returns the
records to send (`Outgoing`), or raises `Rejected`. Intake sends them and, on any refusal,
dead-letters the original bytes and answers the sender.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from contracts import wire
from contracts.decision import Outgoing, Rejected
from contracts.envelope import CLOCK_SKEW, IMPLAUSIBLE, Envelope
from contracts.message import Message
from contracts.runtime.rejection import RawRecord, Rejector

log = logging.getLogger(__name__)


__all__ = ["Handler", "Outgoing", "latest_recorded_at", "process"]

Handler = Callable[[Envelope[Message]], Awaitable[Sequence[Outgoing]]]


def latest_recorded_at(record: RawRecord) -> datetime | None:
    """The latest `recorded_at` a Kafka record may carry: its broker time plus the clock
    skew the envelope allows (issue 14 finding 5; the same rule as the HTTP ingresses)."""
    if record.timestamp_ms is None or record.timestamp_ms <= 0:
        return None
    return datetime.fromtimestamp(record.timestamp_ms / 1000, UTC) + CLOCK_SKEW


async def process(record: RawRecord, handler: Handler, rejector: Rejector, stage: str) -> bool:
    """Handle one record. Returns True if it was accepted."""
    try:
        env = wire.decode(record.value)
    except wire.WireError as exc:
        await rejector.reject(record, exc.code, exc.detail, stage=stage)
        return False
    if (limit := latest_recorded_at(record)) is not None and env.recorded_at > limit:
        # every business time is bounded by recorded_at; recorded_at by the log's own time
        await rejector.reject(record, IMPLAUSIBLE, f"recorded_at {env.recorded_at.isoformat()}"
                              " is more than 1 day after the record's broker time",
                              stage=stage, cause=env)
        return False
    try:
        outgoing = await handler(env)
    except Rejected as exc:
        for out in exc.answers:  # a refusal that is itself an answer (the gateway's)
            await _send(rejector, out)
        await rejector.reject(record, exc.code, exc.reason, stage=stage, cause=env)
        return False
    except Exception as exc:  # a bug must not stop the partition: park the message, say why
        log.exception("handler failed on %s/%s@%s", record.topic, record.partition, record.offset)
        await rejector.reject(record, "internal_error", f"{type(exc).__name__}: {exc}",
                              stage=stage, cause=env)
        return False
    for out in outgoing:
        await _send(rejector, out)
    return True


async def _send(rejector: Rejector, out: Outgoing) -> None:
    await rejector.send(out.topic.name(rejector.prefix), out.envelope.key.encode(),
                        wire.encode(out.envelope))
